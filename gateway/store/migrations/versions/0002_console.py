"""console: the dialogue funnel's per-step daily counts

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dialogue_step_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reached', sa.Integer(), nullable=False),
    sa.Column('stopped', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('script_id', 'version', 'step', 'day')
    )


def downgrade() -> None:
    op.drop_table('dialogue_step_counts')
