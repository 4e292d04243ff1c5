"""family: links between elders and relatives with their grants, one-time tokens, delegated actions

Revision ID: 0006_family
Revises: 0001
Create Date: 2026-11-29 22:20:00

Only the family domain's own tables: other domains branch from 0001 in their own files.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wallet_api.types


revision = '0006_family'
down_revision = '0001'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('family_links',
    sa.Column('id', _ID, nullable=False),
    sa.Column('elder_user_id', _ID, nullable=False),
    sa.Column('relative_user_id', _ID, nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('per_payment_limit', sa.BigInteger(), nullable=False),
    sa.Column('per_day_limit', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('spent_on', sa.Date(), nullable=True),
    sa.Column('spent_today', sa.BigInteger(), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('ended_by_user_id', _ID, nullable=True),
    sa.ForeignKeyConstraint(['elder_user_id'], ['users.id'], name=op.f('fk_family_links_elder_user_id_users')),
    sa.ForeignKeyConstraint(['relative_user_id'], ['users.id'], name=op.f('fk_family_links_relative_user_id_users')),
    sa.ForeignKeyConstraint(['ended_by_user_id'], ['users.id'], name=op.f('fk_family_links_ended_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_links')),
    sa.UniqueConstraint('elder_user_id', 'relative_user_id', name='uq_family_links_pair'),
    # A grant's limits are positive and a single payment never above the day (the API checks it too).
    sa.CheckConstraint('per_payment_limit > 0 AND per_payment_limit <= per_day_limit',
                       name=op.f('ck_family_links_limits')),
    sa.CheckConstraint('spent_today >= 0', name=op.f('ck_family_links_spent_today')),
    )
    op.create_index('ix_family_links_relative', 'family_links', ['relative_user_id'])
    op.create_table('family_tokens',
    sa.Column('id', _ID, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('elder_user_id', _ID, nullable=False),
    sa.Column('link_id', _ID, nullable=True),
    sa.Column('grant', sa.JSON(), nullable=True),
    sa.Column('expires_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('used_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['elder_user_id'], ['users.id'], name=op.f('fk_family_tokens_elder_user_id_users')),
    sa.ForeignKeyConstraint(['link_id'], ['family_links.id'], name=op.f('fk_family_tokens_link_id_family_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_family_tokens_token_hash')),
    )
    op.create_table('delegated_actions',
    sa.Column('id', _ID, nullable=False),
    sa.Column('link_id', _ID, nullable=False),
    sa.Column('actor_user_id', _ID, nullable=False),
    sa.Column('subject_user_id', _ID, nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('transfer_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['family_links.id'], name=op.f('fk_delegated_actions_link_id_family_links')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_delegated_actions_actor_user_id_users')),
    sa.ForeignKeyConstraint(['subject_user_id'], ['users.id'],
                            name=op.f('fk_delegated_actions_subject_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegated_actions')),
    )
    op.create_index('ix_delegated_actions_subject_id', 'delegated_actions', ['subject_user_id', 'id'])
    op.create_index('ix_delegated_actions_transfer', 'delegated_actions', ['transfer_id'])


def downgrade() -> None:
    op.drop_index('ix_delegated_actions_transfer', table_name='delegated_actions')
    op.drop_index('ix_delegated_actions_subject_id', table_name='delegated_actions')
    op.drop_table('delegated_actions')
    op.drop_table('family_tokens')
    op.drop_index('ix_family_links_relative', table_name='family_links')
    op.drop_table('family_links')
