"""A report's media in the console: shown to those who may see the report,
served with private, no-store, nosniff and a content disposition; another
county's officer gets 404."""

from __future__ import annotations

from tests.helpers import add_attachment

from .conftest import login_as, make_report

PNG = b"\x89PNG\r\n\x1a\n-not-really"


def test_officer_of_the_county_sees_and_gets_the_photo(app, svc, users):
    """The report page shows the photo; its route answers the file with safe headers."""
    reference = make_report(svc, county="turkana")
    key = add_attachment(svc, reference, PNG)
    client = login_as(app.test_client(), svc, "turkana-officer")
    page = client.get(f"/console/reports/{reference}")
    url = f"/console/reports/{reference}/media/{key}"
    assert page.status_code == 200 and url in page.text
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == f'inline; filename="{reference}-1.png"'


def test_officer_of_another_county_gets_404(app, svc, users):
    """A Mandera officer cannot fetch a Turkana report's photo, even knowing its key."""
    reference = make_report(svc, county="turkana")
    key = add_attachment(svc, reference, PNG)
    client = login_as(app.test_client(), svc, "mandera-officer")
    assert client.get(f"/console/reports/{reference}/media/{key}").status_code == 404


def test_key_of_another_report_gets_404(app, svc, users):
    """A key is served only under its own report."""
    mine = make_report(svc, county="turkana")
    other = make_report(svc, county="mandera")
    key = add_attachment(svc, other, PNG)
    client = login_as(app.test_client(), svc, "turkana-officer")
    assert client.get(f"/console/reports/{mine}/media/{key}").status_code == 404


def test_anonymous_user_is_sent_to_login(app, svc):
    """Without a login the file is never served."""
    reference = make_report(svc, county="turkana")
    key = add_attachment(svc, reference, PNG)
    response = app.test_client().get(f"/console/reports/{reference}/media/{key}")
    assert response.status_code == 302 and "/console/login" in response.location
