"""messages.ledger_entry: the ledger stream entry a row was written from

Revision ID: 0014
Revises: 0013

Rows of live dialogues reach the ledger through a Redis Stream, written in
batches by the workers (``gateway.store.ledger_stream``).  A batch written
again after a crash must insert nothing twice: each row carries its entry's
name, unique.  One nullable column and its unique index; rows written
directly keep it empty.  And ``ledger_forgets``: a dialogue's forgetting
that could not travel in the stream (Redis failed as it ended), applied by
the writer to the rows that land after it.
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('ledger_entry', sa.String(length=40), nullable=True))
        batch.create_index('ux_messages_ledger_entry', ['ledger_entry'], unique=True)
    op.create_table(
        'ledger_forgets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('how', sa.String(length=8), nullable=False),
        sa.Column('phone_hash', sa.String(length=40), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ussd_session', sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('ledger_forgets')
    with op.batch_alter_table('messages') as batch:
        batch.drop_index('ux_messages_ledger_entry')
        batch.drop_column('ledger_entry')
