"""The OpenAPI document is kept true: schemathesis generates requests from it
(valid and invalid, a bounded number per operation), sends them to the Flask
app in-process (WSGI), and fails on any server error or any response that
does not match the document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from gateway.web.api import openapi
from tests.api.conftest import bearer, make_report

schema = schemathesis.openapi.from_dict(openapi.document())


@pytest.fixture
def seeded_api(app, svc, reports, admin_token):
    """Reports in three counties, alerts, an incident, and an admin token."""
    for i in range(3):
        make_report(svc, reference=f"R-INC00{i}", county="wajir", route=True)
    from gateway.routing import incidents
    from gateway.store.models import Report

    with svc.db() as db:
        ids = [r.id for r in db.query(Report).filter(Report.county == "wajir")]
    for report_id in ids:
        incidents.observe(svc, report_id)
    return admin_token


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_document(case, app, seeded_api):
    """No 5xx, and every response (errors included) as the document says."""
    if case.query:
        # Cursors are opaque: any string fits the schema, only ours decode (a
        # 400 otherwise).  Pagination is tested in test_api.py.
        case.query.pop("cursor", None)
    # This test's app (SQLite or PostgreSQL), called in-process through WSGI.
    case.operation.schema.app = case.operation.app = app
    # Bodies uncompressed: in-process (WSGI) nothing decompresses them, and
    # compression is tested in tests/console/test_bandwidth.py.
    case.call_and_validate(headers=bearer(seeded_api) | {"Accept-Encoding": "identity"})
