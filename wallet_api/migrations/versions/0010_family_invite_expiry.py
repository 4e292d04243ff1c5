"""family invite expiry: an invitation by name not accepted within ANXIN_FAMILY_INVITE_DAYS has expired

Revision ID: 0010_family_invite_expiry
Revises: 0001
Depends on: 0006_family (the family_links table)
Create Date: 2026-11-30 01:15:00
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import wallet_api.types

revision = '0010_family_invite_expiry'
down_revision = '0001'
branch_labels = None
depends_on = '0006_family'

DEFAULT_INVITE_DAYS = 7  # for invitations already waiting: the default week, counted from when they were sent


def upgrade() -> None:
    with op.batch_alter_table('family_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_expires_at', wallet_api.types.UTCDateTime(), nullable=True))
    links = sa.table('family_links', sa.column('id', sa.BigInteger()), sa.column('status', sa.String()),
                     sa.column('created_at', sa.DateTime()), sa.column('invite_expires_at', sa.DateTime()))
    conn = op.get_bind()
    waiting = conn.execute(sa.select(links.c.id, links.c.created_at).where(links.c.status == 'invited')).all()
    for link_id, created_at in waiting:
        conn.execute(links.update().where(links.c.id == link_id)
                     .values(invite_expires_at=created_at + timedelta(days=DEFAULT_INVITE_DAYS)))


def downgrade() -> None:
    with op.batch_alter_table('family_links', schema=None) as batch_op:
        batch_op.drop_column('invite_expires_at')
