"""incidents: count distinct reporters beside reports

Revision ID: 0005
Revises: 0004

Existing incidents get their reporter count from their reports (one per
reporter hash, one per anonymous report).  Their ``alerted_count`` keeps the
report count of their last alert: such an incident alerts again when its
reporters reach double that, never earlier than before.
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.add_column(sa.Column('reporter_count', sa.Integer(), nullable=False,
                                   server_default='0'))
    op.execute(
        "UPDATE incidents SET reporter_count = COALESCE(("
        " SELECT COUNT(DISTINCT r.reporter_hash)"
        " + SUM(CASE WHEN r.reporter_hash IS NULL THEN 1 ELSE 0 END)"
        " FROM incident_reports ir JOIN reports r ON r.id = ir.report_id"
        " WHERE ir.incident_id = incidents.id), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.drop_column('reporter_count')
