"""East Africa Time (UTC+03:00) wherever a person reads or types a time:
console pages, filters, the CSV export and the API's date filters.  Storage
stays UTC.  The day boundary is the case that matters: a report at 22:30 UTC
on 29 November is received at 01:30 EAT on 30 November."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from gateway.core import localtime
from tests.api.conftest import bearer, token_for
from tests.console.conftest import make_report, post

LATE = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # 30 Nov 2026 01:30 EAT
EARLY = datetime(2026, 11, 29, 20, 59, tzinfo=UTC)  # 29 Nov 2026 23:59 EAT


# -- the one conversion ---------------------------------------------------------------


def test_times_read_as_east_africa_time():
    """A stored UTC time is shown three hours later, as ``30 Nov 2026 01:30``."""
    assert localtime.display(LATE) == "30 Nov 2026 01:30"
    assert localtime.display(None) == "–"
    assert localtime.sheet(LATE.replace(microsecond=123456)) == "2026-11-30 01:30:00"


def test_22_30_utc_is_the_next_east_african_day():
    """The EAT calendar day of 22:30 UTC is the next day; of 20:59 UTC the same day."""
    assert localtime.eat_day(LATE) == date(2026, 11, 30)
    assert localtime.eat_day(EARLY) == date(2026, 11, 29)


def test_an_east_african_day_runs_from_21_00_utc_the_day_before():
    """30 Nov EAT is [29 Nov 21:00 UTC, 30 Nov 21:00 UTC)."""
    assert localtime.day_start(date(2026, 11, 30)) == datetime(2026, 11, 29, 21, tzinfo=UTC)
    assert localtime.day_end(date(2026, 11, 30)) == datetime(2026, 11, 30, 21, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("2026-11-30", date(2026, 11, 30), id="a bare date is an EAT day"),
    pytest.param("2026-11-30T01:30", datetime(2026, 11, 29, 22, 30, tzinfo=UTC),
                 id="a time without offset is EAT"),
    pytest.param("2026-11-29T22:30Z", datetime(2026, 11, 29, 22, 30, tzinfo=UTC),
                 id="Z is honoured"),
    pytest.param("2026-11-30T00:30+02:00", datetime(2026, 11, 29, 22, 30, tzinfo=UTC),
                 id="an explicit offset is honoured"),
])
def test_typed_dates_and_times_are_read_as_eat_unless_they_carry_an_offset(text, expected):
    """``parse_moment`` returns a day, or an aware moment equal to the expected UTC one."""
    got = localtime.parse_moment(text)
    if isinstance(expected, datetime):
        assert got.astimezone(UTC) == expected
    else:
        assert got == expected and not isinstance(got, datetime)


@pytest.mark.parametrize("text", ["", "30/11/2026", "2026-13-01", "yesterday", "0001-01-01",
                                  "9999-12-31", "9999-12-31T23:59-05:00"])
def test_malformed_dates_are_refused(text):
    """Anything else is a ValueError (the API answers 400, the console ignores it)."""
    with pytest.raises(ValueError):
        localtime.parse_moment(text)


# -- console -------------------------------------------------------------------------------


def test_console_shows_received_times_in_eat(admin_client, svc):
    """The list and the report show ``30 Nov 2026 01:30``, not the UTC time."""
    reference = make_report(svc, created_at=LATE)
    listing = admin_client.get("/console/reports").text
    assert "30 Nov 2026 01:30" in listing and "22:30" not in listing
    assert "30 Nov 2026 01:30 EAT" in admin_client.get(f"/console/reports/{reference}").text


def test_console_date_filter_puts_22_30_utc_in_the_next_day(admin_client, svc):
    """Filtering on 30 Nov (EAT) finds the 22:30 UTC report of 29 Nov; 29 Nov does not."""
    late = make_report(svc, created_at=LATE)
    early = make_report(svc, created_at=EARLY)
    on_30 = admin_client.get("/console/reports?since=2026-11-30&until=2026-11-30").text
    on_29 = admin_client.get("/console/reports?since=2026-11-29&until=2026-11-29").text
    assert late in on_30 and early not in on_30
    assert early in on_29 and late not in on_29


# -- CSV -------------------------------------------------------------------------------------


def export(client, query=""):
    response = client.get(f"/console/reports.csv{query}")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_times_are_eat_without_microseconds_and_follow_the_eat_day(admin_client, svc):
    """The export's times are EAT, whole seconds; its day filter is the EAT day."""
    late = make_report(svc, created_at=LATE.replace(microsecond=654321))
    make_report(svc, created_at=EARLY)
    rows = export(admin_client, "?since=2026-11-30&until=2026-11-30")
    assert [r["reference"] for r in rows] == [late]
    assert rows[0]["received_eat"] == "2026-11-30 01:30:00"


def test_csv_has_labels_teams_acknowledgement_and_notes(admin_client, svc):
    """Labels (not ids), the teams alerted, who acknowledged when (EAT), and the notes."""
    reference = make_report(svc, category="armed_attack", route=True)
    post(admin_client, f"/console/reports/{reference}/acknowledge")
    post(admin_client, f"/console/reports/{reference}/note", {"note": "Team on its way"})
    row = next(r for r in export(admin_client) if r["reference"] == reference)
    assert row["category"] == "Armed attack or raid"
    assert row["county"] == "Turkana" and row["sub_county"] == "Turkana North"
    assert row["when"] == "Happening now" and row["severity"] == "High"
    assert row["channel"] == "USSD" and row["language"] == "Kiswahili"
    assert row["teams_alerted"]  # the Turkana team(s) from the seed
    assert row["acknowledged_by"] == "admin"
    assert len(row["acknowledged_eat"]) == len("2026-11-30 01:30:00")
    assert row["notes"].endswith("admin: Team on its way")


def test_csv_cells_never_start_a_formula(admin_client, svc):
    """A description or note starting with = is prefixed, so it is not run."""
    reference = make_report(svc, description="=HYPERLINK(\"http://x\")")
    row = next(r for r in export(admin_client) if r["reference"] == reference)
    assert row["description"].startswith("'=")


def test_csv_cells_after_spaces_or_a_line_break_never_start_a_formula(admin_client, svc):
    """' =1+1' or a line break before '=' (some spreadsheets trim them) is prefixed too."""
    spaced = make_report(svc, description=" =1+1")
    broken = make_report(svc, description="\n@SUM(A1)")
    rows = {r["reference"]: r for r in export(admin_client)}
    assert rows[spaced]["description"] == "' =1+1"
    assert rows[broken]["description"].startswith("'")


# -- API -------------------------------------------------------------------------------------


def api_refs(client, token, query):
    response = client.get(f"/api/v1/reports{query}", headers=bearer(token))
    assert response.status_code == 200, response.json
    return {r["reference"] for r in response.json["data"]}


def test_api_bare_dates_are_eat_days(app, svc):
    """``since=until=2026-11-30`` holds the 22:30 UTC report of 29 Nov, not 20:59 UTC."""
    client, token = app.test_client(), token_for(svc, "admin")
    late = make_report(svc, created_at=LATE)
    early = make_report(svc, created_at=EARLY)
    assert api_refs(client, token, "?since=2026-11-30&until=2026-11-30") == {late}
    assert api_refs(client, token, "?until=2026-11-29") == {early}


def test_api_datetimes_with_offsets_are_honoured(app, svc):
    """A moment with an offset bounds exactly; ``until`` is inclusive."""
    client, token = app.test_client(), token_for(svc, "admin")
    late = make_report(svc, created_at=LATE)
    early = make_report(svc, created_at=EARLY)
    assert api_refs(client, token, "?since=2026-11-29T22:30:00%2B00:00") == {late}
    assert api_refs(client, token, "?until=2026-11-29T22:29:59Z") == {early}
    assert api_refs(client, token, "?until=2026-11-30T01:30:00%2B03:00") == {early, late}


@pytest.mark.parametrize("value", ["30/11/2026", "0001-01-01", "9999-12-31"])
def test_api_refuses_a_malformed_date_with_a_clear_error(app, svc, value):
    """400 invalid_argument naming EAT and the accepted forms, never a 500
    (also for days whose EAT bounds leave the calendar in UTC)."""
    response = app.test_client().get(f"/api/v1/reports?since={value}",
                                     headers=bearer(token_for(svc, "admin")))
    assert response.status_code == 400
    assert "East Africa Time" in response.json["error"]["message"]


def test_console_ignores_an_out_of_range_day(admin_client, svc):
    """The console's filter ignores a day it cannot place (no 500)."""
    make_report(svc)
    assert admin_client.get("/console/reports?since=0001-01-01&until=9999-12-31").status_code == 200


def test_eat_is_utc_plus_three_all_year():
    """No daylight saving: the offset is +03:00 in January and in July."""
    for month in (1, 7):
        moment = localtime.to_eat(datetime(2026, month, 1, tzinfo=UTC))
        assert moment.utcoffset() == timedelta(hours=3)
        assert moment.tzinfo is not UTC
