"""reports: the officer a report is assigned to

Revision ID: 0011
Revises: 0010

A console user (county officer or admin) who is working on the report;
empty until someone assigns it, emptied when that user is deleted.
One nullable column and its index.
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.add_column(sa.Column('assigned_to', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_reports_assigned_to_users', 'users', ['assigned_to'], ['id'],
                                 ondelete='SET NULL')
        batch.create_index('ix_reports_assigned_to', ['assigned_to'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.drop_index('ix_reports_assigned_to')
        batch.drop_constraint('fk_reports_assigned_to_users', type_='foreignkey')
        batch.drop_column('assigned_to')
