"""incidents: officers' work on them (monitoring, closing with a reason,
merging) and their own timeline

Revision ID: 0009
Revises: 0008

Three nullable columns on ``incidents`` and one new table.  Statuses are
strings, so ``monitoring`` and ``closed`` need no schema change.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.add_column(sa.Column('close_reason', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_incidents_merged_into_id', 'incidents', ['merged_into_id'],
                                 ['id'], ondelete='SET NULL')
    op.create_table('incident_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_events_incident_id'), ['incident_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_events_incident_id'))
    op.drop_table('incident_events')
    with op.batch_alter_table('incidents') as batch:
        batch.drop_constraint('fk_incidents_merged_into_id', type_='foreignkey')
        batch.drop_column('merged_into_id')
        batch.drop_column('closed_at')
        batch.drop_column('close_reason')
