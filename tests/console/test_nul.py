"""NUL bytes are refused at the edge, in one place, with a 400: never a 500
from PostgreSQL, never a ledger row silently lost."""

from __future__ import annotations

import pytest

NUL = "\x00"


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        pytest.param("GET", f"/console/reports?q=a{NUL}b", None, id="console search"),
        pytest.param("GET", f"/console/reports.csv?q={NUL}", None, id="CSV export"),
        pytest.param("GET", f"/console/admin/audit?action={NUL}", None, id="audit filter"),
        pytest.param("POST", "/console/login", {"username": f"admin{NUL}", "password": "x" * 12},
                     id="login form"),
        pytest.param("POST", "/webhooks/africastalking/sms",
                     {"from": "+254711000111", "to": "28901", "text": "Habari",
                      "id": f"ATXid_{NUL}1", "date": "2025-05-01T08:34:18.445Z"},
                     id="webhook id"),
        pytest.param("GET", f"/api/v1/reports?q={NUL}", None, id="API query"),
    ],
)
def test_nul_is_refused_with_400(admin_client, method, path, data):
    """A NUL anywhere in a query or form answers 400 with a plain reason."""
    response = admin_client.open(path, method=method, data=data)
    assert response.status_code == 400
    assert "NUL" in response.text


def test_nul_in_a_json_body_is_refused(client):
    """A JSON string with \\u0000 is refused before any view reads it."""
    response = client.post("/api/v1/reports/R-XXXXXX/status", json={"status": f"resolved{NUL}"},
                           headers={"Authorization": "Bearer mpk_x"})
    assert response.status_code == 400


def test_nul_under_api_on_an_unmatched_path_answers_in_the_api_json_shape(client):
    """Refused before any route matched (here a negative id no rule takes): the
    API's JSON error shape all the same, never the HTML page."""
    response = client.post("/api/v1/incidents/-3/notes", json={f"a{NUL}": 1},
                           headers={"Authorization": "Bearer mpk_x"})
    assert response.status_code == 400
    assert response.is_json and response.json["error"]["code"] == "bad_request"
