"""Numbers out of any range in a console URL get a page or a clear 400, never a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/console/reports", "/console/incidents",
                                  "/console/admin/messages", "/console/admin/audit"])
def test_a_page_number_past_any_list_is_the_last_page_not_an_error(admin_client, path):
    response = admin_client.get(f"{path}?page=99999999999999999999")
    assert response.status_code == 200


@pytest.mark.parametrize("week", ["0001-W01", "9999-W52", "0001-01-01", "9999-12-31"])
def test_a_week_outside_the_calendar_is_refused_with_400(admin_client, week):
    response = admin_client.get(f"/console/digest?week={week}")
    assert response.status_code == 400
    assert "week" in response.text
