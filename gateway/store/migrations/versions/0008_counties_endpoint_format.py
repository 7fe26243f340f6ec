"""agency_endpoints.format: an agency's webhook takes JSON (as before) or CAP 1.2 XML

Revision ID: 0008_counties
Revises: 0007

Self-contained: one column with a server default, nothing else touched (the
lead re-chains it when the branches merge).
"""

from alembic import op
import sqlalchemy as sa


revision = '0008_counties'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agency_endpoints') as batch:
        batch.add_column(sa.Column('format', sa.String(length=8), nullable=False,
                                   server_default='json'))


def downgrade() -> None:
    with op.batch_alter_table('agency_endpoints') as batch:
        batch.drop_column('format')
