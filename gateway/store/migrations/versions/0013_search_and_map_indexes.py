"""report search: trigram (pg_trgm) GIN indexes for the free text, on
PostgreSQL when the extension can be had; the map: counts per place and
severity from an index, located reports by a partial index; the queue:
the newest unacknowledged reports by a partial index

Revision ID: 0013
Revises: 0012

The map's and the queue's indexes are plain (both databases, in ``models.py``).

Free-text search is ``ILIKE '%words%'`` over the reference, the description,
the place and the sub-county: without these indexes every search reads the
whole table.  The extension is created if the server offers it and the user
may (a superuser, or the database's owner on PostgreSQL 13+ where pg_trgm is
trusted); otherwise nothing is created and search keeps working, by scan.
SQLite has no such index: its search is unchanged.  The indexes are not in
``models.py`` (they exist only where the extension does); their names end in
``_trgm``, which the schema test leaves out of its comparison.
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

#: (index name, column) searched with ILIKE by ``queries.ReportFilters``.
TRIGRAM_INDEXES = (
    ('ix_reports_reference_trgm', 'reference'),
    ('ix_reports_description_trgm', 'description'),
    ('ix_reports_place_name_trgm', 'place_name'),
    ('ix_reports_sub_county_trgm', 'sub_county'),
)


def _has_trigrams(conn) -> bool:
    if conn.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
        return True
    if not conn.scalar(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")):
        return False
    savepoint = conn.begin_nested()  # a refusal must not abort the migration's transaction
    try:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


LOCATED = sa.text("latitude IS NOT NULL AND longitude IS NOT NULL")
WAITING = sa.text("acknowledged_at IS NULL")


def upgrade() -> None:
    op.create_index('ix_reports_place_severity', 'reports', ['county', 'sub_county', 'severity'])
    op.create_index('ix_reports_located', 'reports', ['created_at', 'id'],
                    postgresql_where=LOCATED, sqlite_where=LOCATED)
    op.create_index('ix_reports_waiting', 'reports', ['created_at', 'id'],
                    postgresql_where=WAITING, sqlite_where=WAITING)
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql' or not _has_trigrams(conn):
        return
    for name, column in TRIGRAM_INDEXES:
        op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON reports USING gin ({column} gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, _column in TRIGRAM_INDEXES:
            op.execute(f'DROP INDEX IF EXISTS {name}')
    op.drop_index('ix_reports_waiting', table_name='reports')
    op.drop_index('ix_reports_located', table_name='reports')
    op.drop_index('ix_reports_place_severity', table_name='reports')
