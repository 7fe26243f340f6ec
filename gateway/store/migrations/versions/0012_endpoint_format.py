"""agency_endpoints.format: an agency's webhook takes JSON (as before) or CAP 1.2 XML

Revision ID: 0012
Revises: 0011

One column with a server default, nothing else touched.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agency_endpoints') as batch:
        batch.add_column(sa.Column('format', sa.String(length=8), nullable=False,
                                   server_default='json'))


def downgrade() -> None:
    with op.batch_alter_table('agency_endpoints') as batch:
        batch.drop_column('format')
