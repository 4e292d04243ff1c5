"""history index: a wallet's newest postings by (account_id, id), so a history page reads only its rows

Revision ID: 0009
Revises: 0001
Create Date: 2026-11-29 23:05:00
"""
from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.create_index('ix_postings_account_id_id', ['account_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_index('ix_postings_account_id_id')
