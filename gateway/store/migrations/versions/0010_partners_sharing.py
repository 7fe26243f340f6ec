"""partners: organisations receiving data at a sharing level, the shares
audit, partner API tokens and partner webhook endpoints

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('counties', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('shares',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('ids', sa.JSON(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shares_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shares_created_at'), ['created_at'], unique=False)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_tokens_partner_id'), ['partner_id'], unique=False)
        batch_op.create_foreign_key('fk_api_tokens_partner_id', 'partners', ['partner_id'], ['id'],
                                    ondelete='CASCADE')
    with op.batch_alter_table('agency_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_agency_endpoints_partner_id'), ['partner_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_agency_endpoints_partner_id', 'partners', ['partner_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('agency_endpoints', schema=None) as batch_op:
        batch_op.drop_constraint('fk_agency_endpoints_partner_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_agency_endpoints_partner_id'))
        batch_op.drop_column('partner_id')
    op.execute("DELETE FROM api_tokens WHERE user_id IS NULL")
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint('fk_api_tokens_partner_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_tokens_partner_id'))
        batch_op.drop_column('partner_id')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shares_created_at'))
        batch_op.drop_index(batch_op.f('ix_shares_partner_id'))
    op.drop_table('shares')
    op.drop_table('partners')
