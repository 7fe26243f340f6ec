"""The CAP Atom feed: who may read it, and what it lists."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import capvalidator
import pytest
from sqlalchemy import select

from gateway.routing import incidents
from gateway.store.models import Report

from .conftest import add_user, bearer, make_report, token_for

ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def mandera_incident(svc):
    """Three Mandera reports from three reporters: an incident that alerted."""
    for i in range(3):
        make_report(svc, reference=f"R-CAPM0{i}", county="mandera", route=True)
    with svc.db() as db:
        ids = db.scalars(select(Report.id)).all()
    for report_id in ids:
        incidents.observe(svc, report_id)


def entries(response) -> list[ET.Element]:
    return ET.fromstring(response.data).findall("a:entry", ATOM)


def test_feed_without_a_token_is_refused(client, mandera_incident):
    """No token and an address outside CAP_FEED_ALLOW: 401, nothing listed."""
    response = client.get("/feeds/cap.atom")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    assert b"mandera" not in response.data.lower()


def test_a_wrong_token_is_refused(client, mandera_incident):
    """An unknown token is refused like none."""
    assert client.get("/feeds/cap.atom", headers=bearer("not-a-token")).status_code == 401


def test_feed_with_a_token_lists_each_message_as_a_valid_cap_link(client, mandera_incident,
                                                                  admin_token):
    """With an API token the Atom feed lists the incident's Alert; its link serves a CAP
    1.2 message valid against the schema."""
    response = client.get("/feeds/cap.atom", headers=bearer(admin_token))
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    [entry] = entries(response)
    href = entry.find("a:link", ATOM).get("href")
    assert "/feeds/cap/" in href and href.endswith(".xml")
    message = client.get(href, headers=bearer(admin_token))
    assert message.mimetype == "application/cap+xml"
    result = capvalidator.check_schema(message.data)
    assert result.passed, result.message


def test_an_address_in_the_allow_list_reads_without_a_token(app, client, mandera_incident):
    """A client address in CAP_FEED_ALLOW reads the feed and its messages without a token."""
    app.config["CAP_FEED_ALLOW"] = ["127.0.0.0/8"]
    response = client.get("/feeds/cap.atom")
    assert response.status_code == 200 and len(entries(response)) == 1
    href = entries(response)[0].find("a:link", ATOM).get("href")
    assert client.get(href).status_code == 200


def test_the_allow_list_uses_the_real_client_not_a_forged_header(app, client,
                                                                  mandera_incident):
    """X-Forwarded-For from an untrusted peer does not put a client in the allow list."""
    app.config["CAP_FEED_ALLOW"] = ["203.0.113.0/24"]
    response = client.get("/feeds/cap.atom", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 401


def test_an_officer_token_sees_only_their_counties(client, svc, mandera_incident):
    """A Turkana officer's token lists no Mandera incident and cannot fetch its message."""
    add_user(svc, "turkana-reader", counties=("turkana",))
    token = token_for(svc, "turkana-reader")
    admin = token_for(svc, "admin")
    href = entries(client.get("/feeds/cap.atom", headers=bearer(admin)))[0].find(
        "a:link", ATOM).get("href")
    assert entries(client.get("/feeds/cap.atom", headers=bearer(token))) == []
    assert client.get(href, headers=bearer(token)).status_code == 404


@pytest.mark.parametrize("identifier", ["nonsense", "mpaka@localhost.incident.999.1",
                                        "mpaka@localhost.incident.1.9",
                                        "mpaka@localhost.incident.99999999999.1",
                                        "mpaka@localhost.report.1"])
def test_unknown_identifiers_are_404(client, admin_token, mandera_incident, identifier):
    """An identifier that names no published message answers 404, never 500."""
    response = client.get(f"/feeds/cap/{identifier}.xml", headers=bearer(admin_token))
    assert response.status_code == 404
