"""prepaid cards with escrow: merchant profiles, products, cards, alerts, complaints, policy

Revision ID: 0002_prepaid
Revises: 0001
Create Date: 2026-11-23 09:00:00.000000

Only this domain's tables. The escrow, liability and card balances themselves are ledger accounts
(opened by the service), so no money lives here.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wallet_api.types


revision = '0002_prepaid'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('prepaid_policy',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('anonymous_card_limit_fen', sa.BigInteger(), nullable=False),
    sa.Column('named_card_limit_fen', sa.BigInteger(), nullable=False),
    sa.Column('ratio_group_pct', sa.Integer(), nullable=False),
    sa.Column('ratio_brand_pct', sa.Integer(), nullable=False),
    sa.Column('ratio_scale_pct', sa.Integer(), nullable=False),
    sa.Column('complaint_threshold', sa.Integer(), nullable=False),
    sa.Column('complaint_window_days', sa.Integer(), nullable=False),
    sa.Column('cooling_off_days', sa.Integer(), nullable=False),
    sa.Column('closing_notice_days', sa.Integer(), nullable=False),
    sa.Column('balance_refunds_allowed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_prepaid_policy_single_row')),
    sa.CheckConstraint('ratio_group_pct BETWEEN 0 AND 100 AND ratio_brand_pct BETWEEN 0 AND 100 AND ratio_scale_pct BETWEEN 0 AND 100', name=op.f('ck_prepaid_policy_ratios_are_percentages')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_prepaid_policy_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prepaid_policy'))
    )
    op.create_table('prepaid_merchants',
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('escrow_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('liability_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('escrow_policy', sa.String(length=8), nullable=False),
    sa.Column('issuer_type', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('closing_notice_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('closes_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('defaulted_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('default_transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("escrow_policy IN ('full', 'ratio')", name=op.f('ck_prepaid_merchants_escrow_policy_known')),
    sa.CheckConstraint("issuer_type IN ('group', 'brand', 'scale')", name=op.f('ck_prepaid_merchants_issuer_type_known')),
    sa.CheckConstraint("status IN ('active', 'closing', 'defaulted')", name=op.f('ck_prepaid_merchants_status_known')),
    sa.ForeignKeyConstraint(['default_transfer_id'], ['transfers.id'], name=op.f('fk_prepaid_merchants_default_transfer_id_transfers')),
    sa.ForeignKeyConstraint(['escrow_account_id'], ['accounts.id'], name=op.f('fk_prepaid_merchants_escrow_account_id_accounts')),
    sa.ForeignKeyConstraint(['liability_account_id'], ['accounts.id'], name=op.f('fk_prepaid_merchants_liability_account_id_accounts')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_prepaid_merchants_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('merchant_id', name=op.f('pk_prepaid_merchants')),
    sa.UniqueConstraint('escrow_account_id', name=op.f('uq_prepaid_merchants_escrow_account_id')),
    sa.UniqueConstraint('liability_account_id', name=op.f('uq_prepaid_merchants_liability_account_id'))
    )
    op.create_table('prepaid_alerts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('occurrences', sa.Integer(), nullable=False),
    sa.Column('open_key', sa.String(length=80), nullable=True),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('acknowledged_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('resolved_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint("severity IN ('warning', 'critical')", name=op.f('ck_prepaid_alerts_severity_known')),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['users.id'], name=op.f('fk_prepaid_alerts_acknowledged_by_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['prepaid_merchants.merchant_id'], name=op.f('fk_prepaid_alerts_merchant_id_prepaid_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prepaid_alerts')),
    sa.UniqueConstraint('open_key', name=op.f('uq_prepaid_alerts_open_key'))
    )
    with op.batch_alter_table('prepaid_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prepaid_alerts_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('prepaid_complaints',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('open_key', sa.String(length=80), nullable=True),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('resolution', sa.String(length=500), nullable=True),
    sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f('ck_prepaid_complaints_status_known')),
    sa.ForeignKeyConstraint(['merchant_id'], ['prepaid_merchants.merchant_id'], name=op.f('fk_prepaid_complaints_merchant_id_prepaid_merchants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_prepaid_complaints_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prepaid_complaints')),
    sa.UniqueConstraint('open_key', name=op.f('uq_prepaid_complaints_open_key'))
    )
    with op.batch_alter_table('prepaid_complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prepaid_complaints_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prepaid_complaints_user_id'), ['user_id'], unique=False)

    op.create_table('prepaid_products',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('face_value_fen', sa.BigInteger(), nullable=False),
    sa.Column('bonus_value_fen', sa.BigInteger(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('on_sale', sa.Boolean(), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('bonus_value_fen >= 0', name=op.f('ck_prepaid_products_bonus_value_not_negative')),
    sa.CheckConstraint('face_value_fen > 0', name=op.f('ck_prepaid_products_face_value_positive')),
    sa.CheckConstraint('validity_days > 0', name=op.f('ck_prepaid_products_validity_positive')),
    sa.ForeignKeyConstraint(['merchant_id'], ['prepaid_merchants.merchant_id'], name=op.f('fk_prepaid_products_merchant_id_prepaid_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prepaid_products'))
    )
    with op.batch_alter_table('prepaid_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prepaid_products_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('prepaid_cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('holder_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('bonus_fen', sa.BigInteger(), nullable=False),
    sa.Column('purchased_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('first_charged_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('purchase_transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('closed_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('closed_reason', sa.String(length=24), nullable=True),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('unrecovered_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'closed')", name=op.f('ck_prepaid_cards_status_known')),
    sa.CheckConstraint('paid_fen > 0 AND bonus_fen >= 0', name=op.f('ck_prepaid_cards_value_sane')),
    sa.CheckConstraint('refunded_fen >= 0 AND unrecovered_fen >= 0', name=op.f('ck_prepaid_cards_payouts_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_prepaid_cards_account_id_accounts')),
    sa.ForeignKeyConstraint(['holder_user_id'], ['users.id'], name=op.f('fk_prepaid_cards_holder_user_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['prepaid_merchants.merchant_id'], name=op.f('fk_prepaid_cards_merchant_id_prepaid_merchants')),
    sa.ForeignKeyConstraint(['product_id'], ['prepaid_products.id'], name=op.f('fk_prepaid_cards_product_id_prepaid_products')),
    sa.ForeignKeyConstraint(['purchase_transfer_id'], ['transfers.id'], name=op.f('fk_prepaid_cards_purchase_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prepaid_cards')),
    sa.UniqueConstraint('account_id', name=op.f('uq_prepaid_cards_account_id'))
    )
    with op.batch_alter_table('prepaid_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prepaid_cards_holder_user_id'), ['holder_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prepaid_cards_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prepaid_cards_product_id'), ['product_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('prepaid_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prepaid_cards_product_id'))
        batch_op.drop_index(batch_op.f('ix_prepaid_cards_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_prepaid_cards_holder_user_id'))

    op.drop_table('prepaid_cards')
    with op.batch_alter_table('prepaid_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prepaid_products_merchant_id'))

    op.drop_table('prepaid_products')
    with op.batch_alter_table('prepaid_complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prepaid_complaints_user_id'))
        batch_op.drop_index(batch_op.f('ix_prepaid_complaints_merchant_id'))

    op.drop_table('prepaid_complaints')
    with op.batch_alter_table('prepaid_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prepaid_alerts_merchant_id'))

    op.drop_table('prepaid_alerts')
    op.drop_table('prepaid_merchants')
    op.drop_table('prepaid_policy')
