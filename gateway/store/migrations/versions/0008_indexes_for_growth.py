"""indexes for years of data: ledger rows by report, deliveries by message,
the (created_at, id) cursor, pending alerts by deadline, ledger rows that
retention has still to strip

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

UNSTRIPPED = sa.text("text IS NOT NULL OR phone_hash IS NOT NULL")
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index('ix_reports_created_id', 'reports', ['created_at', 'id'])
    op.create_index('ix_messages_report', 'messages', ['report_id'])
    op.create_index('ix_messages_unstripped', 'messages', ['created_at'],
                    postgresql_where=UNSTRIPPED, sqlite_where=UNSTRIPPED)
    op.create_index('ix_alerts_pending_deadline', 'alerts', ['deadline_at'],
                    postgresql_where=PENDING, sqlite_where=PENDING)
    op.create_index('ix_deliveries_message', 'deliveries', ['message_id'])


def downgrade() -> None:
    op.drop_index('ix_deliveries_message', table_name='deliveries')
    op.drop_index('ix_alerts_pending_deadline', table_name='alerts')
    op.drop_index('ix_messages_unstripped', table_name='messages')
    op.drop_index('ix_messages_report', table_name='messages')
    op.drop_index('ix_reports_created_id', table_name='reports')
