"""The officer's queue (what needs action, first), acknowledging and assigning
from it, its conditional refresh, and the report list's filters shared with
the CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from gateway.store.models import Alert, AuditEntry, Report, ReportEvent, User

from .conftest import add_user, make_report, post

ROW = re.compile(r'<li class="q-row[^"]*" data-ref="([^"]+)"')


def queue_refs(client) -> list[str]:
    return ROW.findall(client.get("/console/queue").text)


def make_overdue(svc, reference: str) -> None:
    with svc.db() as db:
        report_id = db.scalar(select(Report.id).where(Report.reference == reference))
        db.execute(update(Alert).where(Alert.report_id == report_id)
                   .values(deadline_at=datetime.now(UTC) - timedelta(minutes=5)))
        db.commit()


def assign_to(svc, reference: str, username: str) -> None:
    with svc.db() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        report.assigned_to = db.scalar(select(User.id).where(User.username == username))
        report.acknowledged_at = datetime.now(UTC)
        report.status = "investigating"
        db.commit()


def test_officers_land_on_the_queue(officer_client):
    """/console/ sends a logged-in officer to the queue, not the overview."""
    response = officer_client.get("/console/")
    assert response.status_code == 302 and response.location.endswith("/console/queue")


def test_queue_orders_overdue_then_high_then_new_then_assigned_to_me(officer_client, svc):
    """Overdue first (even when older and of medium severity), then unacknowledged
    high severity, then other new reports, then open reports assigned to me."""
    now = datetime.now(UTC)
    mine = make_report(svc, severity="low", created_at=now - timedelta(minutes=1))
    new = make_report(svc, severity="low", created_at=now - timedelta(minutes=2))
    high = make_report(svc, severity="high", created_at=now - timedelta(minutes=3))
    overdue = make_report(svc, severity="medium", route=True, created_at=now - timedelta(hours=3))
    make_overdue(svc, overdue)
    assign_to(svc, mine, "turkana-officer")
    assert queue_refs(officer_client) == [overdue, high, new, mine]


def test_queue_leaves_out_closed_acknowledged_and_other_counties(officer_client, svc):
    """Resolved, acknowledged-and-not-mine and another county's reports are not in the queue."""
    done = make_report(svc)
    seen = make_report(svc)
    other = make_report(svc, county="mandera")
    with svc.db() as db:
        db.execute(update(Report).where(Report.reference == done).values(status="resolved"))
        db.execute(update(Report).where(Report.reference == seen)
                   .values(acknowledged_at=datetime.now(UTC), status="acknowledged"))
        db.commit()
    refs = queue_refs(officer_client)
    assert done not in refs and seen not in refs and other not in refs


def test_queue_row_says_what_where_when_with_labels(officer_client, svc):
    """A row names the category and sub-county by their labels and the place named,
    the time in EAT with how long ago, severity, status and deadline."""
    received = datetime(2026, 11, 30, 17, 25, tzinfo=UTC)  # 20:25 EAT
    reference = make_report(svc, category="armed_attack", sub_county="turkana_west",
                            place_name="Kakuma", created_at=received, route=True)
    page = officer_client.get("/console/queue").text
    row = page[page.index(f'data-ref="{reference}"'):]
    text = re.sub(r"<[^>]+>", " ", row[:row.index("</li>")])
    assert "Turkana West, Kakuma" in text and "turkana_west" not in text
    assert "Armed attack" in text and "armed_attack" not in text
    assert "30 Nov 2026 20:25" in row and " ago" in row
    assert "High" in row and "Routed" in row and "deadline" in row


def test_acknowledge_from_the_queue_returns_to_the_queue(officer_client, svc):
    """The row's Acknowledge button acknowledges (audited) and comes back to the queue,
    where the report is no longer waiting."""
    reference = make_report(svc, route=True)
    response = post(officer_client, f"/console/reports/{reference}/acknowledge", {"back": "queue"})
    assert response.status_code == 302 and response.location.endswith("/console/queue")
    page = officer_client.get("/console/queue").text
    assert f"{reference} acknowledged." in page
    assert f'data-ref="{reference}"' not in page
    with svc.db() as db:
        assert db.scalar(select(Report.acknowledged_at).where(Report.reference == reference))
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "report.acknowledged"))


def test_queue_rows_answer_304_until_something_changes(officer_client, svc, clock):
    """The poll with If-None-Match gets 304 while nothing changed, and the rows with
    a new ETag once a report arrives.  The clock stands still: the version also
    changes every minute (for "12 min ago"), which is not what this test is about."""
    make_report(svc)
    first = officer_client.get("/console/queue/rows")
    etag = first.headers["ETag"]
    assert first.status_code == 200
    unchanged = officer_client.get("/console/queue/rows", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    added = make_report(svc, severity="high")
    changed = officer_client.get("/console/queue/rows", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert f'data-ref="{added}"' in changed.text and added in changed.text.split("data-high=")[1]


def test_an_event_on_a_report_changes_the_queue_version(officer_client, svc):
    """Acknowledging (an event on a report) makes the next poll send the rows again."""
    reference = make_report(svc, route=True)
    etag = officer_client.get("/console/queue/rows").headers["ETag"]
    post(officer_client, f"/console/reports/{reference}/acknowledge", {"back": "queue"})
    assert officer_client.get("/console/queue/rows",
                              headers={"If-None-Match": etag}).status_code == 200


def test_overview_alerts_waiting_card_links_to_the_queue(officer_client, svc, turkana_report):
    """The overview's "alerts waiting" card is a link to the queue."""
    page = officer_client.get("/console/overview").text
    assert re.search(r'<a href="/console/queue" id="overview-waiting"><strong>\d+</strong> alerts waiting',
                     page)


# -- assigning ------------------------------------------------------------------------------


def test_assign_to_an_officer_of_the_county(officer_client, svc):
    """Assigning names the officer on the report, adds a timeline event and an audit entry."""
    reference = make_report(svc, route=True)
    response = post(officer_client, f"/console/reports/{reference}/assign", {"user": "turkana-officer"})
    assert response.status_code == 302
    page = officer_client.get(f"/console/reports/{reference}").text
    assert '<dd id="assigned-to">turkana-officer</dd>' in page
    assert "to turkana-officer by turkana-officer" in page
    with svc.db() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "report.assigned"))
        assert entry.target == reference and entry.detail["to"] == "turkana-officer"
        assert db.scalar(select(ReportEvent.kind).where(ReportEvent.kind == "assigned"))


def test_assign_refuses_an_officer_of_another_county(officer_client, svc):
    """An officer who does not work in the report's county cannot be assigned it."""
    add_user(svc, "mandera-two", counties=("mandera",))
    reference = make_report(svc)
    post(officer_client, f"/console/reports/{reference}/assign", {"user": "mandera-two"})
    page = officer_client.get(f"/console/reports/{reference}").text
    assert "mandera-two cannot be assigned this report" in page
    assert '<dd id="assigned-to">No one</dd>' in page


def test_assigned_to_me_filter_and_unassign(officer_client, svc):
    """"Assigned to me" lists what I was given; assigning to no one takes it back."""
    reference = make_report(svc)
    other = make_report(svc)
    post(officer_client, f"/console/reports/{reference}/assign", {"user": "turkana-officer"})
    page = officer_client.get("/console/reports?assigned=me").text
    assert reference in page and other not in page
    assert other in officer_client.get("/console/reports?assigned=none").text
    post(officer_client, f"/console/reports/{reference}/assign", {"user": ""})
    assert reference not in officer_client.get("/console/reports?assigned=me").text


# -- filters ----------------------------------------------------------------------------------


def test_sub_county_filter(admin_client, svc):
    """?sub_county= keeps only that sub-county's reports."""
    west = make_report(svc, sub_county="turkana_west")
    north = make_report(svc, sub_county="turkana_north")
    page = admin_client.get("/console/reports?sub_county=turkana_west").text
    assert west in page and north not in page


def test_free_text_finds_gazetteer_labels(admin_client, svc):
    """Searching "Turkana West" finds reports stored as turkana_west; a category's
    label ("armed attack") finds its reports; a place named is found too."""
    west = make_report(svc, sub_county="turkana_west", category="trafficking")
    north = make_report(svc, sub_county="turkana_north", category="armed_attack")
    kakuma = make_report(svc, sub_county="turkana_central", category="other", place_name="Kakuma")
    page = admin_client.get("/console/reports?q=Turkana+West").text
    assert west in page and north not in page and kakuma not in page
    page = admin_client.get("/console/reports?q=armed+attack").text
    assert north in page and west not in page
    page = admin_client.get("/console/reports?q=kakuma").text
    assert kakuma in page and west not in page


def test_channel_and_language_filters(admin_client, svc):
    """?channel= and ?language= narrow the list."""
    sms = make_report(svc, channel="sms", language="eng")
    ussd = make_report(svc, channel="ussd", language="swa")
    page = admin_client.get("/console/reports?channel=sms").text
    assert sms in page and ussd not in page
    page = admin_client.get("/console/reports?language=swa").text
    assert ussd in page and sms not in page


def test_sub_county_filter_on_the_eat_day_boundary(admin_client, svc):
    """A report at 22:30 UTC on 30 Nov is on 1 Dec (EAT) in the filters, with the sub-county."""
    late = make_report(svc, sub_county="turkana_west",
                       created_at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    on_1 = admin_client.get("/console/reports?sub_county=turkana_west&since=2026-12-01"
                            "&until=2026-12-01").text
    on_30 = admin_client.get("/console/reports?sub_county=turkana_west&since=2026-11-30"
                             "&until=2026-11-30").text
    assert late in on_1 and late not in on_30


def test_filters_stay_in_the_shareable_url(admin_client, svc):
    """The form shows the filters read from the query string (a shared link)."""
    page = admin_client.get("/console/reports?sub_county=turkana_west&channel=sms&assigned=me").text
    assert re.search(r'<option value="turkana_west" selected>Turkana West</option>', page)
    assert re.search(r'<option value="sms" selected>SMS</option>', page)
    assert re.search(r'<option value="me" selected>Me</option>', page)


def test_csv_export_follows_sub_county_and_text_filters(admin_client, svc):
    """The CSV export reads the same filters: sub-county and free text over labels."""
    west = make_report(svc, sub_county="turkana_west")
    north = make_report(svc, sub_county="turkana_north")
    for query in ("sub_county=turkana_west", "q=Turkana+West"):
        rows = list(csv.DictReader(io.StringIO(admin_client.get(f"/console/reports.csv?{query}").text)))
        assert [r["reference"] for r in rows] == [west], query
        assert rows[0]["sub_county"] == "Turkana West" and north not in str(rows)


def test_a_long_queue_shows_the_most_urgent_and_counts_all(officer_client, svc):
    """Past 30 rows the queue shows the 30 most urgent and says how many there are."""
    for _ in range(32):
        make_report(svc, severity="low")
    page = officer_client.get("/console/queue").text
    assert len(ROW.findall(page)) == 30
    assert '<span class="count" id="queue-count">32</span>' in page
    assert "The 30 most urgent of 32 are shown" in page


def test_assign_to_me_in_one_tap(officer_client, svc):
    """The report page's "Assign to me" assigns it to the user; the button then goes."""
    reference = make_report(svc)
    assert 'id="assign-me"' in officer_client.get(f"/console/reports/{reference}").text
    post(officer_client, f"/console/reports/{reference}/assign", {"user": "me"})
    page = officer_client.get(f"/console/reports/{reference}").text
    assert '<dd id="assigned-to">turkana-officer</dd>' in page and 'id="assign-me"' not in page


def test_a_full_queue_fills_from_the_most_urgent_group_down_and_counts_every_group(
        officer_client, svc):
    """One overdue, two high, 29 new and one assigned to me: the 30 shown are
    the overdue, the high ones and the 27 newest new reports, in that order;
    the count is of all 33."""
    now = datetime.now(UTC)
    new = [make_report(svc, severity="low", created_at=now - timedelta(minutes=n))
           for n in range(1, 30)]
    high = [make_report(svc, severity="high", created_at=now - timedelta(hours=h))
            for h in (1, 2)]
    overdue = make_report(svc, severity="low", route=True, created_at=now - timedelta(days=2))
    make_overdue(svc, overdue)
    mine = make_report(svc, severity="high")
    assign_to(svc, mine, "turkana-officer")
    page = officer_client.get("/console/queue").text
    assert ROW.findall(page) == [overdue, *high, *new[:27]]
    assert '<span class="count" id="queue-count">33</span>' in page
