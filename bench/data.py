"""Cost as the data grows (``python -m bench --only data``).

Seeds the stack's PostgreSQL database with ``reports`` reports spread over
the five counties and two years, an alert and its deliveries per routed
report and ``ledger_per_report`` ledger rows each (bulk ``COPY``: seconds,
not hours), then measures what people and partners ask of that data: the
console's pages, the API's list endpoints with their cursors, and the CSV
export (time to the last byte and the web worker's peak memory while it
streams).  Each page is requested ``requests`` times in a row and reported
as p50/p95 in milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import psutil
import psycopg
import requests

#: (county, its sub-counties) and the categories, as the default script names them.
PLACES = {
    "turkana": ["turkana_north", "turkana_west", "turkana_central", "loima", "turkana_south",
                "turkana_east"],
    "marsabit": ["moyale", "north_horr", "saku", "laisamis"],
    "mandera": ["mandera_west", "banissa", "mandera_north", "mandera_south", "mandera_east", "lafey"],
    "wajir": ["wajir_north", "wajir_east", "tarbaj", "wajir_west", "eldas", "wajir_south"],
    "busia": ["teso_north", "teso_south", "nambale", "matayos", "butula", "funyula", "budalangi"],
}
CATEGORIES = ["terrorism", "trafficking", "migrant_smuggling", "weapons_smuggling", "armed_attack",
              "goods_smuggling", "suspicious", "explosives", "kidnapping", "recruitment", "other"]
SEVERITIES = ["high", "medium", "low"]
STATUSES = ["routed", "acknowledged", "investigating", "resolved", "false_alarm"]
CHANNELS = ["ussd", "sms", "whatsapp"]
LANGUAGES = ["swa", "eng", "som", "tuv", "gax"]
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _reference(n: int) -> str:
    digits = []
    for _ in range(6):
        n, r = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[r])
    return "R-" + "".join(digits)


def _copy(cur, table: str, columns: list[str], rows) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed(database_url: str, *, reports: int, ledger_per_report: int = 23,
         seed_value: int = 7) -> dict:
    """Bulk-load ``reports`` reports with alerts, deliveries and ledger rows."""
    rnd = random.Random(seed_value)
    now = datetime.now(UTC)
    started = time.perf_counter()
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, counties FROM teams WHERE tier = 'county'")
        teams = {county: team_id for team_id, counties in cur.fetchall()
                 for county in (json.loads(counties) if isinstance(counties, str) else counties)}
        cur.execute("SELECT id, team_id FROM team_members")
        members: dict[int, list[int]] = {}
        for member_id, team_id in cur.fetchall():
            members.setdefault(team_id, []).append(member_id)
        cur.execute("SELECT coalesce(max(id), 0) FROM reports")
        first = cur.fetchone()[0] + 1

        def report_rows():
            for i in range(reports):
                county = rnd.choice(list(PLACES))
                created = now - timedelta(seconds=rnd.randrange(0, 730 * 86400))
                status = rnd.choice(STATUSES)
                yield (first + i, _reference(first + i), rnd.choice(CHANNELS), rnd.choice(LANGUAGES),
                       rnd.choice(CATEGORIES), county, rnd.choice(PLACES[county]), None, None, None,
                       "now", "Seeded description of what was seen near the border crossing",
                       False, None, hashlib.sha1(str(rnd.random()).encode()).hexdigest(),
                       rnd.choice(SEVERITIES), status, "normal", "report", "1",
                       json.dumps({"category": "seeded"}), created, created,
                       created + timedelta(seconds=5),
                       created + timedelta(minutes=12) if status != "routed" else None)

        _copy(cur, "reports", [
            "id", "reference", "channel", "language", "category", "county", "sub_county",
            "place_name", "latitude", "longitude", '"when"', "description", "contact_allowed",
            "reporter_phone", "reporter_hash", "severity", "status", "priority", "script_id",
            "script_version", "answers", "started_at", "created_at", "routed_at",
            "acknowledged_at"], report_rows())
        cur.execute("SELECT setval(pg_get_serial_sequence('reports', 'id'), (SELECT max(id) FROM reports))")

        cur.execute("SELECT coalesce(max(id), 0) FROM messages")
        first_message = cur.fetchone()[0] + 1
        cur.execute("SELECT coalesce(max(id), 0) FROM alerts")
        first_alert = cur.fetchone()[0] + 1
        cur.execute("SELECT id, county, created_at, status FROM reports WHERE id >= %s ORDER BY id",
                    (first,))
        seeded = cur.fetchall()
        message_rows, alert_rows, delivery_rows = [], [], []
        message_id, alert_id = first_message, first_alert
        for report_id, county, created, status in seeded:
            team_id = teams.get(county)
            for k in range(ledger_per_report):
                inbound = k % 2 == 0
                message_rows.append((
                    message_id, "in" if inbound else "out", "ussd", "africastalking", None,
                    "seeded-sender" if inbound else "384", None if inbound else "seeded-recipient",
                    None, "1" if inbound else "CON Seeded screen text", "received" if inbound else "sent",
                    None, 0, report_id if k == ledger_per_report - 1 else None,
                    created + timedelta(seconds=k), created + timedelta(seconds=k)))
                message_id += 1
            if team_id is not None:
                alert_rows.append((alert_id, "report", report_id, team_id, 0, "Seeded alert",
                                   "pending" if status == "routed" else "acknowledged",
                                   created + timedelta(minutes=30), created))
                for member_id in members.get(team_id, []):
                    delivery_rows.append((alert_id, member_id, message_id - 1, "sms", created))
                alert_id += 1
        _copy(cur, "messages", [
            "id", "direction", "channel", "provider", "provider_message_id", "sender", "recipient",
            "phone_hash", "text", "status", "error", "attempts", "report_id", "created_at",
            "updated_at"], message_rows)
        _copy(cur, "alerts", ["id", "kind", "report_id", "team_id", "level", "text", "status",
                              "deadline_at", "created_at"], alert_rows)
        _copy(cur, "deliveries", ["alert_id", "member_id", "message_id", "channel", "created_at"],
              delivery_rows)
        for table in ("messages", "alerts", "deliveries"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
    return {"reports": reports, "messages": len(message_rows), "alerts": len(alert_rows),
            "deliveries": len(delivery_rows), "seconds": round(time.perf_counter() - started, 1)}


def console_session(base_url: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base_url + "/console/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"username": "admin", "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    response = session.post(base_url + "/console/login", data=data, timeout=30)
    response.raise_for_status()
    return session


def api_token(stack) -> str:
    from sqlalchemy import select

    from gateway.accounts import tokens
    from gateway.store.models import User

    svc = stack.services()
    try:
        with svc.db() as db:
            _row, token = tokens.create(db, db.scalar(select(User).where(User.username == "admin")),
                                        "bench-data")
            db.commit()
    finally:
        svc.close()
    return token


def timed(session: requests.Session, url: str, *, requests_count: int, headers=None) -> dict:
    times = []
    status = None
    for _ in range(requests_count):
        start = time.perf_counter()
        response = session.get(url, headers=headers, timeout=300)
        times.append((time.perf_counter() - start) * 1000)
        status = response.status_code
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return {"status": status, "p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1),
            "bytes": len(response.content)}


def export_memory(session: requests.Session, url: str, app_proc) -> dict:
    """The CSV export, streamed to nowhere, while the web workers' RSS is sampled."""
    root = psutil.Process(app_proc.pid)
    peak = {"rss": 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                rss = max((c.memory_info().rss for c in root.children(recursive=True)), default=0)
                peak["rss"] = max(peak["rss"], rss)
            except psutil.Error:
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    before = max((c.memory_info().rss for c in root.children(recursive=True)), default=0)
    thread.start()
    start = time.perf_counter()
    first_byte = None
    size = 0
    with session.get(url, stream=True, timeout=600) as response:
        status = response.status_code
        # Streamed: sent as it is made (chunked), not built whole with its length.
        streamed = "Content-Length" not in response.headers
        for chunk in response.iter_content(65536):
            if first_byte is None:
                first_byte = time.perf_counter() - start
            size += len(chunk)
    total = time.perf_counter() - start
    done.set()
    thread.join()
    return {"status": status, "streamed": streamed, "bytes": size, "first_byte_s": round(first_byte or total, 2),
            "seconds": round(total, 2), "rss_before_mb": round(before / 2**20),
            "rss_peak_mb": round(peak["rss"] / 2**20)}


#: What is measured: name -> (path, needs the console session (else the API token)).
PAGES = {
    "console: queue": ("/console/queue", True),
    "console: report list": ("/console/reports", True),
    "console: report list, filtered": ("/console/reports?county=turkana&severity=high", True),
    "console: report list, search": ("/console/reports?q=B-23456", True),
    "console: report list, search by reference": ("/console/reports?q={reference}", True),
    "console: report list, free text": ("/console/reports?q=loima", True),
    "console: report detail": ("/console/reports/{reference}", True),
    "console: overview": ("/console/overview", True),
    "console: map": ("/console/map", True),
    "console: incidents": ("/console/incidents", True),
    "console: ledger": ("/console/admin/messages", True),
    "console: ledger, 3 pages older": ("{ledger_older_url}", True),
    "console: ledger of a report": ("/console/admin/messages?reference={reference}", True),
    "api: reports": ("/api/v1/reports?limit=50", False),
    "api: reports, deep cursor": ("{cursor_url}", False),
    "api: messages": ("/api/v1/messages?limit=50", False),
    "api: messages of a report": ("/api/v1/messages?report={reference}", False),
    "api: incidents": ("/api/v1/incidents", False),
}


def ledger_older(session: requests.Session, app_url: str, pages: int = 3) -> str:
    """The ledger's page ``pages`` "Older" links away from the newest."""
    url = "/console/admin/messages"
    for _ in range(pages):
        found = re.search(r'<a href="([^"]+)" rel="next">Older</a>',
                          session.get(app_url + url, timeout=300).text)
        if not found:
            break
        url = found.group(1).replace("&amp;", "&")
    return url


def measure(stack, app_proc, app_url: str, *, requests_count: int) -> dict:
    session = console_session(app_url, "bench-admin-password")
    token = api_token(stack)
    headers = {"Authorization": f"Bearer {token}"}
    url = stack.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:  # one report from the middle of the table
        reference = conn.execute("SELECT reference FROM reports ORDER BY id LIMIT 1 OFFSET "
                                 "(SELECT count(*) / 2 FROM reports)").fetchone()[0]
    api = requests.Session()
    # A cursor a few thousand rows deep: follow next_cursor.
    cursor_url = "/api/v1/reports?limit=100"
    for _ in range(10):
        body = api.get(app_url + cursor_url, headers=headers, timeout=300).json()
        if not body.get("next_cursor"):
            break
        cursor_url = f"/api/v1/reports?limit=100&cursor={body['next_cursor']}"
    ledger_older_url = ledger_older(session, app_url)
    results = {}
    for name, (path, console) in PAGES.items():
        url = app_url + path.format(reference=reference, cursor_url=cursor_url,
                                    ledger_older_url=ledger_older_url)
        results[name] = timed(session if console else api, url, requests_count=requests_count,
                              headers=None if console else headers)
    results["console: CSV export, every report"] = export_memory(
        session, app_url + "/console/reports.csv", app_proc)
    return results
