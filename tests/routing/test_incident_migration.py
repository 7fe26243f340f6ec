"""Migration 0005 gives existing incidents their reporter count."""

from __future__ import annotations

from sqlalchemy import text

from gateway.core.db import make_engine
from gateway.store import migrate

REPORT = ("INSERT INTO reports (id, reference, channel, language, category, county, severity,"
          " status, priority, script_id, script_version, answers, contact_allowed, created_at,"
          " reporter_hash) VALUES (:id, :ref, 'ussd', 'eng', 'armed_attack', 'turkana', 'high',"
          " 'routed', 'normal', 'report', '1', '{}', 0, '2026-01-01 00:00:00', :hash)")


def test_upgrade_counts_the_reporters_of_existing_incidents(tmp_path):
    """Four reports from one hash, one from another and two anonymous: 4 reporters;
    an incident without reports gets 0."""
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url, "0004")
    engine = make_engine(url)
    hashes = ["a", "a", "a", "a", "b", None, None]
    with engine.begin() as conn:
        for n, value in enumerate(hashes, start=1):
            conn.execute(text(REPORT), {"id": n, "ref": f"R-MIG00{n}", "hash": value})
        for incident_id in (1, 2):
            conn.execute(text(
                "INSERT INTO incidents (id, category, county, status, report_count, alerted_count,"
                " first_report_at, last_report_at, created_at) VALUES (:id, 'armed_attack',"
                " 'turkana', 'open', :n, 3, '2026-01-01 00:00:00', '2026-01-01 00:00:00',"
                " '2026-01-01 00:00:00')"), {"id": incident_id, "n": 7 if incident_id == 1 else 0})
        for n in range(1, len(hashes) + 1):
            conn.execute(text("INSERT INTO incident_reports (incident_id, report_id) VALUES (1, :r)"),
                         {"r": n})
    migrate.upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, report_count, reporter_count FROM incidents"
                                 " ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, 7, 4), (2, 0, 0)]
    migrate.downgrade(url, "0004")
    engine.dispose()
