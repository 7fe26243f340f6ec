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


def test_migrations_build_the_schema_the_models_declare(database_url):
    """No table, column or index differs between `alembic upgrade head` and models.py."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
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
