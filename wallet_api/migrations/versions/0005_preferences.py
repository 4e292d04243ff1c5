"""preferences: care mode, text size, contrast, voice and speech rate kept on the server

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-22 12:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only new columns with server defaults: existing users keep the standard mode.
    with op.batch_alter_table('preferences') as batch:
        batch.add_column(sa.Column('care_mode', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('font_scale_percent', sa.Integer(), server_default=sa.text('100'), nullable=False))
        batch.add_column(sa.Column('high_contrast', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('voice_enabled', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('speech_rate_percent', sa.Integer(), server_default=sa.text('100'),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('preferences') as batch:
        for column in ('speech_rate_percent', 'voice_enabled', 'high_contrast', 'font_scale_percent', 'care_mode'):
            batch.drop_column(column)
