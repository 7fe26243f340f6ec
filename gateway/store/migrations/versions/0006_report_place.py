"""reports: the place the reporter named and a shared location

Revision ID: 0006
Revises: 0005

A typed town ("Kakuma") or a WhatsApp location fills the county and
sub-county; the report keeps the gazetteer's name of that place and, for a
shared location, its coordinates rounded to 3 decimals (about 110 m).
All nullable: earlier reports named no place.
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.add_column(sa.Column('place_name', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch.add_column(sa.Column('longitude', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('longitude')
        batch.drop_column('latitude')
        batch.drop_column('place_name')
