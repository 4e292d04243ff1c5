"""family money: family cards and their uses, guardianships, pending (held or delayed) payments, and the
ledger account `system:guardian_holds` where a pending payment's money waits

Revision ID: 0007_family_money
Revises: 0001
Create Date: 2026-11-29 21:52:32
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wallet_api.types


revision = '0007_family_money'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('family_cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('giver_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('holder_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('monthly_cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=80), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('closed_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('offered', 'active', 'paused', 'declined', 'closed')", name=op.f('ck_family_cards_status_known')),
    sa.CheckConstraint('giver_user_id <> holder_user_id', name=op.f('ck_family_cards_not_to_self')),
    sa.CheckConstraint('monthly_cap_fen > 0', name=op.f('ck_family_cards_cap_positive')),
    sa.ForeignKeyConstraint(['giver_user_id'], ['users.id'], name=op.f('fk_family_cards_giver_user_id_users')),
    sa.ForeignKeyConstraint(['holder_user_id'], ['users.id'], name=op.f('fk_family_cards_holder_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_cards'))
    )
    with op.batch_alter_table('family_cards', schema=None) as batch_op:
        batch_op.create_index('ix_family_cards_giver_status', ['giver_user_id', 'status'], unique=False)
        batch_op.create_index('ix_family_cards_holder_status', ['holder_user_id', 'status'], unique=False)

    op.create_table('guardianships',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('elder_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guardian_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('delay_new_payee_transfers', sa.Boolean(), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('ended_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('invited', 'active', 'declined', 'ended')", name=op.f('ck_guardianships_status_known')),
    sa.CheckConstraint('elder_user_id <> guardian_user_id', name=op.f('ck_guardianships_not_self')),
    sa.ForeignKeyConstraint(['elder_user_id'], ['users.id'], name=op.f('fk_guardianships_elder_user_id_users')),
    sa.ForeignKeyConstraint(['guardian_user_id'], ['users.id'], name=op.f('fk_guardianships_guardian_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardianships'))
    )
    with op.batch_alter_table('guardianships', schema=None) as batch_op:
        batch_op.create_index('ix_guardianships_elder_status', ['elder_user_id', 'status'], unique=False)
        batch_op.create_index('ix_guardianships_guardian_status', ['guardian_user_id', 'status'], unique=False)

    op.create_table('family_card_uses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_family_card_uses_amount_positive')),
    sa.CheckConstraint('refunded_fen >= 0 AND refunded_fen <= amount_fen', name=op.f('ck_family_card_uses_refund_within_amount')),
    sa.ForeignKeyConstraint(['card_id'], ['family_cards.id'], name=op.f('fk_family_card_uses_card_id_family_cards')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_family_card_uses_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_card_uses')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_family_card_uses_payment_id'))
    )
    with op.batch_alter_table('family_card_uses', schema=None) as batch_op:
        batch_op.create_index('ix_family_card_uses_card_month', ['card_id', 'month'], unique=False)

    op.create_table('pending_payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payer_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payee_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('guardian_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('memo', sa.String(length=200), nullable=False),
    sa.Column('risks', sa.JSON(), nullable=False),
    sa.Column('hold_transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('release_transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('due_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('decided_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("kind IN ('merchant', 'p2p')", name=op.f('ck_pending_payments_kind_known')),
    sa.CheckConstraint("reason IN ('guardian', 'delay')", name=op.f('ck_pending_payments_reason_known')),
    sa.CheckConstraint("status IN ('held', 'delayed', 'approved', 'declined', 'expired', 'settled', 'revoked')", name=op.f('ck_pending_payments_status_known')),
    sa.CheckConstraint('(merchant_id IS NULL) <> (payee_user_id IS NULL)', name=op.f('ck_pending_payments_one_payee')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_pending_payments_amount_positive')),
    sa.ForeignKeyConstraint(['guardian_user_id'], ['users.id'], name=op.f('fk_pending_payments_guardian_user_id_users')),
    sa.ForeignKeyConstraint(['hold_transfer_id'], ['transfers.id'], name=op.f('fk_pending_payments_hold_transfer_id_transfers')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_pending_payments_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['payee_user_id'], ['users.id'], name=op.f('fk_pending_payments_payee_user_id_users')),
    sa.ForeignKeyConstraint(['payer_user_id'], ['users.id'], name=op.f('fk_pending_payments_payer_user_id_users')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_pending_payments_payment_id_payments')),
    sa.ForeignKeyConstraint(['release_transfer_id'], ['transfers.id'], name=op.f('fk_pending_payments_release_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_payments'))
    )
    with op.batch_alter_table('pending_payments', schema=None) as batch_op:
        batch_op.create_index('ix_pending_payments_guardian_status', ['guardian_user_id', 'status'], unique=False)
        batch_op.create_index('ix_pending_payments_payer_id', ['payer_user_id', 'id'], unique=False)
        batch_op.create_index('ix_pending_payments_status_due', ['status', 'due_at'], unique=False)
    _create_holds_account()


def _create_holds_account() -> None:
    accounts = sa.table('accounts', sa.column('code', sa.String), sa.column('kind', sa.String),
                        sa.column('currency', sa.String), sa.column('allow_negative', sa.Boolean),
                        sa.column('balance', sa.BigInteger), sa.column('head_seq', sa.BigInteger),
                        sa.column('head_hash', sa.String), sa.column('created_at', wallet_api.types.UTCDateTime))
    op.bulk_insert(accounts, [
        {'code': 'system:guardian_holds', 'kind': 'hold', 'currency': 'CNY', 'allow_negative': False,
         'balance': 0, 'head_seq': 0, 'head_hash': '0' * 64, 'created_at': wallet_api.types.utcnow()},
    ])


def downgrade() -> None:
    # The holds account stays only if money ever passed through it (its postings reference it).
    op.execute("DELETE FROM accounts WHERE code = 'system:guardian_holds' AND head_seq = 0")
    with op.batch_alter_table('pending_payments', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_payments_status_due')
        batch_op.drop_index('ix_pending_payments_payer_id')
        batch_op.drop_index('ix_pending_payments_guardian_status')

    op.drop_table('pending_payments')
    with op.batch_alter_table('family_card_uses', schema=None) as batch_op:
        batch_op.drop_index('ix_family_card_uses_card_month')

    op.drop_table('family_card_uses')
    with op.batch_alter_table('guardianships', schema=None) as batch_op:
        batch_op.drop_index('ix_guardianships_guardian_status')
        batch_op.drop_index('ix_guardianships_elder_status')

    op.drop_table('guardianships')
    with op.batch_alter_table('family_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_family_cards_holder_status')
        batch_op.drop_index('ix_family_cards_giver_status')

    op.drop_table('family_cards')
