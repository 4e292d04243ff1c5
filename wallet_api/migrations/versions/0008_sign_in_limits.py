"""sign-in limits: token buckets of failed sign-ins per username and per client

Revision ID: 0008
Revises: 0001
Create Date: 2026-11-29 22:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wallet_api.types

revision = '0008'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_buckets',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('milli_tokens', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_buckets'))
    )


def downgrade() -> None:
    op.drop_table('sign_in_buckets')
