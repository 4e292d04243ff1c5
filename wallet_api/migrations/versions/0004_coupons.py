"""coupons: campaigns, batches (lottery rounds), sharded stock, per-person counters, coupons,
lottery registrations, redemptions

Revision ID: 0004_coupons
Revises: 0001
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wallet_api.types


revision = '0004_coupons'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coupon_campaigns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('issuer_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('threshold_fen', sa.BigInteger(), nullable=False),
    sa.Column('value_fen', sa.BigInteger(), nullable=False),
    sa.Column('total_quantity', sa.Integer(), nullable=False),
    sa.Column('subsidy_budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('funded_fen', sa.BigInteger(), nullable=False),
    sa.Column('claim_mode', sa.String(length=16), nullable=False),
    sa.Column('per_person_cap', sa.Integer(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('recycle_expired', sa.Boolean(), nullable=False),
    sa.Column('rollover_non_winners', sa.Boolean(), nullable=False),
    sa.Column('shards', sa.Integer(), nullable=False),
    sa.Column('subsidy_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('released_units', sa.Integer(), nullable=False),
    sa.Column('next_release_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('ends_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('funded_fen >= 0 AND funded_fen <= subsidy_budget_fen', name=op.f('ck_coupon_campaigns_funded_within_budget')),
    sa.CheckConstraint('value_fen > 0 AND threshold_fen >= 0', name=op.f('ck_coupon_campaigns_coupon_shape')),
    sa.ForeignKeyConstraint(['issuer_user_id'], ['users.id'], name=op.f('fk_coupon_campaigns_issuer_user_id_users')),
    sa.ForeignKeyConstraint(['subsidy_account_id'], ['accounts.id'], name=op.f('fk_coupon_campaigns_subsidy_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_campaigns'))
    )
    with op.batch_alter_table('coupon_campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupon_campaigns_issuer_user_id'), ['issuer_user_id'], unique=False)

    op.create_table('coupon_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('release_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('released_quantity', sa.Integer(), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=True),
    sa.Column('committed_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('seed', sa.String(length=128), nullable=True),
    sa.Column('registrants_hash', sa.String(length=64), nullable=True),
    sa.Column('registrant_count', sa.Integer(), nullable=True),
    sa.Column('pool_at_draw', sa.Integer(), nullable=True),
    sa.Column('winners_count', sa.Integer(), nullable=True),
    sa.Column('drawn_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['coupon_campaigns.id'], name=op.f('fk_coupon_batches_campaign_id_coupon_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_batches')),
    sa.UniqueConstraint('campaign_id', 'seq', name='uq_coupon_batches_campaign_seq')
    )
    op.create_table('coupon_holders',
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('claimed', sa.Integer(), nullable=False),
    sa.CheckConstraint('claimed >= 0', name=op.f('ck_coupon_holders_claimed_non_negative')),
    sa.ForeignKeyConstraint(['campaign_id'], ['coupon_campaigns.id'], name=op.f('fk_coupon_holders_campaign_id_coupon_campaigns')),
    sa.PrimaryKeyConstraint('campaign_id', 'person_key', name=op.f('pk_coupon_holders'))
    )
    op.create_table('coupon_stock',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shard', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.CheckConstraint('remaining >= 0', name=op.f('ck_coupon_stock_remaining_non_negative')),
    sa.ForeignKeyConstraint(['campaign_id'], ['coupon_campaigns.id'], name=op.f('fk_coupon_stock_campaign_id_coupon_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_stock')),
    sa.UniqueConstraint('campaign_id', 'shard', name='uq_coupon_stock_campaign_shard')
    )
    op.create_table('coupons',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('batch_seq', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('claimed_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('redeemed_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('recycled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['coupon_campaigns.id'], name=op.f('fk_coupons_campaign_id_coupon_campaigns')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_coupons_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons'))
    )
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.create_index('ix_coupons_campaign_id_status_expires_at', ['campaign_id', 'status', 'expires_at'], unique=False)
        batch_op.create_index('ix_coupons_user_id_status', ['user_id', 'status'], unique=False)

    op.create_table('coupon_redemptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('coupon_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('coupon_returned', sa.Boolean(), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('refunded_fen >= 0 AND refunded_fen <= amount_fen', name=op.f('ck_coupon_redemptions_refund_within_amount')),
    sa.CheckConstraint('subsidy_fen > 0 AND subsidy_fen < amount_fen', name=op.f('ck_coupon_redemptions_subsidy_within_amount')),
    sa.CheckConstraint('subsidy_refunded_fen >= 0 AND subsidy_refunded_fen <= subsidy_fen', name=op.f('ck_coupon_redemptions_subsidy_refund_within_subsidy')),
    sa.ForeignKeyConstraint(['campaign_id'], ['coupon_campaigns.id'], name=op.f('fk_coupon_redemptions_campaign_id_coupon_campaigns')),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_coupon_redemptions_coupon_id_coupons')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_coupon_redemptions_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_coupon_redemptions_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_redemptions')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_coupon_redemptions_payment_id'))
    )
    with op.batch_alter_table('coupon_redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupon_redemptions_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coupon_redemptions_coupon_id'), ['coupon_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coupon_redemptions_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('coupon_registrations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('coupon_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['coupon_campaigns.id'], name=op.f('fk_coupon_registrations_campaign_id_coupon_campaigns')),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_coupon_registrations_coupon_id_coupons')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_coupon_registrations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_registrations')),
    sa.UniqueConstraint('campaign_id', 'round', 'person_key', name='uq_coupon_registrations_person'),
    sa.UniqueConstraint('campaign_id', 'round', 'ticket', name='uq_coupon_registrations_ticket')
    )
    with op.batch_alter_table('coupon_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupon_registrations_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('coupon_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupon_registrations_user_id'))

    op.drop_table('coupon_registrations')
    with op.batch_alter_table('coupon_redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupon_redemptions_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_coupon_redemptions_coupon_id'))
        batch_op.drop_index(batch_op.f('ix_coupon_redemptions_campaign_id'))

    op.drop_table('coupon_redemptions')
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_index('ix_coupons_user_id_status')
        batch_op.drop_index('ix_coupons_campaign_id_status_expires_at')

    op.drop_table('coupons')
    op.drop_table('coupon_stock')
    op.drop_table('coupon_holders')
    op.drop_table('coupon_batches')
    with op.batch_alter_table('coupon_campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupon_campaigns_issuer_user_id'))

    op.drop_table('coupon_campaigns')
