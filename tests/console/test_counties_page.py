"""The Counties page: codes, which are enabled, and the Enable button."""

from __future__ import annotations

from sqlalchemy import select

from gateway.store import script_versions
from gateway.store.counties import listed_counties
from gateway.store.models import AuditEntry, ScriptVersion, Team

from .conftest import post


def test_page_lists_the_47_counties_with_codes(admin_client):
    """Every county with its code; the enabled ones have no button."""
    page = admin_client.get("/console/admin/counties").text
    assert page.count('<tr id="county-') == 47
    assert "<td>023</td>" in page and "Enable Turkana" not in page
    assert "Enable Garissa" in page


def test_enable_button_saves_a_draft_and_opens_it(admin_client, svc):
    """Enable Garissa: a draft with Garissa, a disabled team, an audit entry, and the
    editor of the new draft opens."""
    response = post(admin_client, "/console/admin/counties/garissa/enable")
    assert response.status_code == 302
    with svc.db() as db:
        draft = db.scalars(select(ScriptVersion).order_by(ScriptVersion.version.desc())).first()
        assert f"/versions/{draft.version}" in response.headers["Location"]
        assert "garissa" in listed_counties(script_versions.parse_version(draft))
        assert db.scalar(select(Team.active).where(Team.name == "Garissa county team")) is False
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "county.enabled"))
        assert (entry.actor, entry.target) == ("admin", "garissa")


def test_unknown_county_is_404(admin_client):
    """A county id that is not Kenya's answers 404."""
    assert post(admin_client, "/console/admin/counties/atlantis/enable").status_code == 404
