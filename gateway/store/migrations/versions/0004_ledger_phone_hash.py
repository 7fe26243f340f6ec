"""ledger: keyed hash of the counterpart's number, for erasure requests

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('phone_hash', sa.String(length=40), nullable=True))
        batch.create_index('ix_messages_phone_hash', ['phone_hash'])


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_index('ix_messages_phone_hash')
        batch.drop_column('phone_hash')
