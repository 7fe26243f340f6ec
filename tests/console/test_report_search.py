"""Report search: a reference typed in is an exact lookup (the unique index),
however it is typed; other text finds reports by reference, description,
place or label as before (on PostgreSQL through trigram indexes when the
server has pg_trgm, on SQLite by scan: the same answers)."""

from __future__ import annotations

import pytest

from gateway.core.references import looks_like_reference

from .conftest import make_report


@pytest.mark.parametrize(("typed", "reference"), [
    ("R-4KX7QP", "R-4KX7QP"), ("r-4kx7qp", "R-4KX7QP"), ("  r 4kx7qp ", "R-4KX7QP"),
    ("R4KX7QP", "R-4KX7QP"), ("R-ABCDEF", "R-ABCDEF"),
])
def test_what_people_type_for_a_reference_is_read_as_one(typed, reference):
    assert looks_like_reference(typed) == reference


@pytest.mark.parametrize("typed", ["rampage", "Ramadhan", "R-T00001", "R-4KX7Q", "R-4KX7QPX",
                                   "lorry", "R-4KX7Q0"])
def test_words_and_partial_references_are_not_read_as_a_reference(typed):
    """A word that happens to be R and six letters stays a word; 0, 1, O, I are
    not in the alphabet; five or seven characters are not a reference."""
    assert looks_like_reference(typed) is None


def test_a_reference_typed_in_search_finds_that_report_only(admin_client, svc):
    """Even when another report's description quotes it."""
    wanted = make_report(svc, reference="R-4KX7QP", description="Goats taken at night")
    make_report(svc, reference="R-9ZZ9ZZ", description="Follow-up of R-4KX7QP: more goats")
    page = admin_client.get("/console/reports?q=r 4kx7qp").text
    assert wanted in page and "R-9ZZ9ZZ" not in page
    assert 'value="r 4kx7qp"' in page


def test_an_unknown_reference_in_search_finds_nothing(admin_client, svc):
    make_report(svc, reference="R-4KX7QP")
    assert "No reports match" in admin_client.get("/console/reports?q=R-4KX7QR").text


@pytest.mark.parametrize(("typed", "found"), [
    pytest.param("borehole", {"R-WELL22"}, id="a word of the description, any case"),
    pytest.param("LOKI", {"R-PLAC22"}, id="part of a place name"),
    pytest.param("R-WEL", {"R-WELL22"}, id="part of a reference"),
    pytest.param("turkana west", {"R-PLAC22"}, id="a sub-county's label"),
    pytest.param("50%", set(), id="a percent sign is not a wildcard"),
])
def test_free_text_finds_reports_as_before(admin_client, svc, typed, found):
    make_report(svc, reference="R-WELL22", description="Armed men at the BOREHOLE")
    make_report(svc, reference="R-PLAC22", description="Cattle driven west",
                place_name="Lokichoggio", sub_county="turkana_west")
    make_report(svc, reference="R-OTHR22", description="Lorry of sugar", sub_county="loima")
    page = admin_client.get("/console/reports", query_string={"q": typed}).text
    assert {r for r in ("R-WELL22", "R-PLAC22", "R-OTHR22") if r in page} == found


def test_the_api_reads_a_reference_in_q_exactly(client, svc):
    """The API shares the filters: ``q=R-4KX7QP`` is the exact lookup there too."""
    from tests.api.conftest import bearer, token_for

    make_report(svc, reference="R-4KX7QP")
    make_report(svc, reference="R-9ZZ9ZZ", description="About R-4KX7QP")
    token = token_for(svc, "admin")
    data = client.get("/api/v1/reports", query_string={"q": "R-4KX7QP"},
                      headers=bearer(token)).json["data"]
    assert [r["reference"] for r in data] == ["R-4KX7QP"]
