"""campus codes: campuses, campus merchants, campus cards, devices, spent codes, charges, rate buckets

Revision ID: 0003_campus
Revises: 0001
Create Date: 2026-11-22 12:00:00

Only the campus domain's own tables: other domains branch from 0001 in their own files.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wallet_api.types


revision = '0003_campus'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campus_rate_buckets',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('milli_tokens', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_campus_rate_buckets'))
    )
    op.create_table('campuses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('local_name', sa.String(length=40), nullable=True),
    sa.Column('owner_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pin_free_limit_fen', sa.BigInteger(), nullable=False),
    sa.Column('default_daily_limit_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_campuses_owner_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campuses')),
    sa.UniqueConstraint('name', name=op.f('uq_campuses_name'))
    )
    with op.batch_alter_table('campuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campuses_owner_user_id'), ['owner_user_id'], unique=False)

    op.create_table('campus_cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campus_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('student_number', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('activation_code_hash', sa.String(length=64), nullable=True),
    sa.Column('activation_expires_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('activated_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('funding_source', sa.String(length=16), nullable=False),
    sa.Column('bank_card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('daily_limit_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bank_card_id'], ['bank_cards.id'], name=op.f('fk_campus_cards_bank_card_id_bank_cards')),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_campus_cards_campus_id_campuses')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_campus_cards_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campus_cards')),
    sa.UniqueConstraint('activation_code_hash', name=op.f('uq_campus_cards_activation_code_hash')),
    sa.UniqueConstraint('campus_id', 'student_number', name='uq_campus_cards_student_number'),
    sa.UniqueConstraint('user_id', name=op.f('uq_campus_cards_user_id'))
    )
    op.create_table('campus_devices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('algorithm', sa.String(length=8), nullable=False),
    sa.Column('secret_sealed', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('last_used_at', wallet_api.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['campus_cards.id'], name=op.f('fk_campus_devices_card_id_campus_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campus_devices')),
    sa.UniqueConstraint('number', name=op.f('uq_campus_devices_number'))
    )
    with op.batch_alter_table('campus_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campus_devices_card_id'), ['card_id'], unique=False)

    op.create_table('campus_merchants',
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campus_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_campus_merchants_campus_id_campuses')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_campus_merchants_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('merchant_id', name=op.f('pk_campus_merchants'))
    )
    with op.batch_alter_table('campus_merchants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campus_merchants_campus_id'), ['campus_id'], unique=False)

    op.create_table('campus_charges',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('origin', sa.String(length=8), nullable=False),
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('terminal_id', sa.String(length=40), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('memo', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('funding_source', sa.String(length=16), nullable=True),
    sa.Column('bank_card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('bank_reference', sa.String(length=64), nullable=True),
    sa.Column('confirm_by', wallet_api.types.UTCDateTime(), nullable=True),
    sa.Column('confirm_key', sa.String(length=128), nullable=True),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('failure_code', sa.String(length=40), nullable=True),
    sa.Column('failure_status', sa.Integer(), nullable=True),
    sa.Column('failure_detail', sa.String(length=300), nullable=True),
    sa.Column('failure_extra', sa.JSON(), nullable=True),
    sa.Column('idempotency_scope', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bank_card_id'], ['bank_cards.id'], name=op.f('fk_campus_charges_bank_card_id_bank_cards')),
    sa.ForeignKeyConstraint(['card_id'], ['campus_cards.id'], name=op.f('fk_campus_charges_card_id_campus_cards')),
    sa.ForeignKeyConstraint(['device_id'], ['campus_devices.id'], name=op.f('fk_campus_charges_device_id_campus_devices')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_campus_charges_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_campus_charges_payment_id_payments')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_campus_charges_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campus_charges')),
    sa.UniqueConstraint('idempotency_scope', 'idempotency_key', name='uq_campus_charges_idempotency')
    )
    with op.batch_alter_table('campus_charges', schema=None) as batch_op:
        batch_op.create_index('ix_campus_charges_card_created', ['card_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_campus_charges_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('campus_code_uses',
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('step', sa.BigInteger(), nullable=False),
    sa.Column('merchant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('used_at', wallet_api.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['campus_devices.id'], name=op.f('fk_campus_code_uses_device_id_campus_devices')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_campus_code_uses_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('device_id', 'step', name=op.f('pk_campus_code_uses'))
    )


def downgrade() -> None:
    op.drop_table('campus_code_uses')
    with op.batch_alter_table('campus_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campus_charges_merchant_id'))
        batch_op.drop_index('ix_campus_charges_card_created')

    op.drop_table('campus_charges')
    with op.batch_alter_table('campus_merchants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campus_merchants_campus_id'))

    op.drop_table('campus_merchants')
    with op.batch_alter_table('campus_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campus_devices_card_id'))

    op.drop_table('campus_devices')
    op.drop_table('campus_cards')
    with op.batch_alter_table('campuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campuses_owner_user_id'))

    op.drop_table('campuses')
    op.drop_table('campus_rate_buckets')
