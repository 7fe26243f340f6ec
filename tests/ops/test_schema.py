"""The schema: migrations build what the models declare, and the queries that
grow with the data (lists, cursors, the ledger by report, pending alerts,
retention) can use an index on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, or_, select, text, tuple_

from gateway.core.db import make_engine
from gateway.store import queries
from gateway.store.models import Alert, Base, Delivery, Message, Report
from gateway.vocab import AlertStatus
from tests.conftest import empty_tables


def not_optional(obj, name, type_, reflected, compare_to) -> bool:
    """Left out of the comparison: the trigram indexes of migration 0013,
    which exist only where PostgreSQL has pg_trgm (so not in models.py)."""
    return not (type_ == "index" and (name or "").endswith("_trgm"))


def test_migrations_build_the_schema_the_models_declare(database_url):
    """No table, column or index differs between `alembic upgrade head` and models.py."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": not_optional})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


AT = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
HOT_QUERIES = {
    "report list, newest first": queries.reports(queries.Scope(is_admin=True), queries.ReportFilters())
    .limit(51),
    "report list, next cursor page": queries.reports(queries.Scope(is_admin=True), queries.ReportFilters())
    .where(tuple_(Report.created_at, Report.id) < (AT, 1000)).limit(51),
    "ledger rows of one report": select(Message).where(Message.report_id == 7),
    "deliveries of one ledger row": select(Delivery).where(Delivery.message_id == 7),
    "pending alerts past their deadline": select(Alert).where(
        Alert.status == AlertStatus.PENDING, Alert.deadline_at < AT),
    "ledger page, newest or older than a row (keyset on id)": select(
        Message.id, Message.direction, Message.channel, Message.provider,
        Message.provider_message_id, Message.phone_hash, Message.created_at,
    ).where(Message.id < 1000).order_by(Message.id.desc()).limit(2000),
    "ledger page of one report": select(Message.id, Message.created_at).where(
        Message.report_id == 7, Message.id < 1000).order_by(Message.id.desc()).limit(2000),
    "api messages of one report": select(Message).where(Message.report_id == 7)
    .order_by(Message.id.desc()).limit(51),
    "report search by reference": queries.reports(
        queries.Scope(is_admin=True), queries.ReportFilters(text="r 4kx7qp")).limit(51),
    "export batch after a row (keyset on created_at, id)": queries.reports(
        queries.Scope(is_admin=True), queries.ReportFilters())
    .where(tuple_(Report.created_at, Report.id) < (AT, 1000)).limit(1000),
    "overview counts of 30 days": select(Report.county, Report.category, func.count())
    .where(Report.created_at >= AT).group_by(Report.county, Report.category),
    "queue, newest unacknowledged reports": select(Report).where(
        Report.acknowledged_at.is_(None), Report.severity == "high")
    .order_by(Report.created_at.desc(), Report.id.desc()).limit(30),
    "queue count of unacknowledged reports": select(func.count(Report.id)).where(
        Report.acknowledged_at.is_(None)),
    "map counts per place and severity": select(
        Report.county, Report.sub_county, Report.severity, func.count())
    .group_by(Report.county, Report.sub_county, Report.severity),
    "map located reports": select(func.count()).select_from(Report).where(
        Report.latitude.is_not(None), Report.longitude.is_not(None)),
    "ledger rows retention must strip": select(func.count()).select_from(Message).where(
        Message.created_at < AT, or_(Message.text.is_not(None), Message.phone_hash.is_not(None))),
}


@pytest.mark.parametrize("name", list(HOT_QUERIES))
def test_hot_query_uses_an_index_on_postgresql(postgresql_url, name):
    """With sequential scans priced out, the plan reads an index: one exists that fits."""
    empty_tables(postgresql_url)
    engine = make_engine(postgresql_url)
    statement = HOT_QUERIES[name].compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {statement}")))
    engine.dispose()
    assert "Seq Scan" not in plan, plan
    assert "Index" in plan, plan


def test_free_text_search_uses_the_trigram_indexes_on_postgresql(postgresql_url):
    """Where the server has pg_trgm (CI: yes), migration 0013 created GIN
    indexes and the search's ILIKE over four columns reads them, not the table."""
    empty_tables(postgresql_url)
    engine = make_engine(postgresql_url)
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
            pytest.skip("this PostgreSQL has no pg_trgm: search scans, by design")
        query = queries.ReportFilters(text="borehole").apply(select(Report.id))
        statement = query.compile(engine, compile_kwargs={"literal_binds": True})
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {statement}")))
    engine.dispose()
    assert "Seq Scan" not in plan, plan
    for column in ("reference", "description", "place_name", "sub_county"):
        assert f"ix_reports_{column}_trgm" in plan, plan


PLAIN_ROLE = "mpaka_test_no_extensions"


def test_without_the_right_to_create_pg_trgm_the_migrations_skip_its_indexes(postgresql_url):
    """A user who may create tables but not extensions (not a superuser, not
    the database's owner) migrates to head: no trigram index, nothing refused."""
    from alembic import command
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from gateway.store import migrate

    base = make_url(postgresql_url)
    name = f"{base.database}_no_trgm"
    admin = create_engine(base.set(drivername="postgresql+psycopg", database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f"DO $$ BEGIN CREATE ROLE {PLAIN_ROLE} NOLOGIN; "
                          "EXCEPTION WHEN duplicate_object THEN NULL; END $$"))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
                pytest.skip("pg_trgm comes with every new database here (template1)")
            conn.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {PLAIN_ROLE}"))
            conn.execute(text(f"SET ROLE {PLAIN_ROLE}"))
            config = migrate.alembic_config(url)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()
            conn.execute(text("RESET ROLE"))
            assert migrate.current_revision(engine) == migrate.head_revision(url)
            names = set(conn.scalars(text("SELECT indexname FROM pg_indexes "
                                          "WHERE tablename = 'reports'")))
            assert "ix_reports_created_id" in names
            assert not {n for n in names if n.endswith("_trgm")}
            assert conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")) is None
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f"DROP ROLE IF EXISTS {PLAIN_ROLE}"))
        admin.dispose()
