"""Logging in and out, throttling, password changes, CSRF."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from gateway.accounts import auth
from gateway.core import keys, ratelimit
from gateway.store.models import AuditEntry, User

from .conftest import ADMIN_PASSWORD, PASSWORD, csrf_token, login, login_as, post


def test_login_with_the_right_password_opens_the_console(client, svc):
    """The seeded admin logs in, lands on the overview, and the login is audited."""
    response = login(client, "admin", ADMIN_PASSWORD)
    assert response.status_code == 302
    assert client.get(response.location, follow_redirects=True).status_code == 200
    with svc.db() as db:
        assert db.scalar(select(AuditEntry.action).where(AuditEntry.action == "login"))


def test_wrong_password_says_so_plainly_and_logs_nothing_in(client):
    """A wrong password answers 400 with a plain sentence; the console stays closed."""
    response = login(client, "admin", "not-the-password")
    assert response.status_code == 400
    assert "Wrong username or password." in response.text
    assert client.get("/console/reports").status_code == 302


def test_repeated_failures_make_the_next_attempt_wait(client):
    """After three failures from one address, even the right password from it waits a while."""
    for _ in range(auth.SLOW_AFTER):
        login(client, "admin", "wrong-password")
    response = login(client, "admin", ADMIN_PASSWORD)
    assert response.status_code == 400
    assert "Wait" in response.text


def login_from(app, address, username, password):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return login(client, username, password)


def failures(svc, account, address, n):
    """``n`` failed logins of ``account`` from ``address``, as the login form counts them."""
    for _ in range(n):
        svc.limiter.hit(ratelimit.LOGIN_ADDRESS, address, limit=99, window=auth.WINDOW_SECONDS)
        svc.limiter.hit(ratelimit.LOGIN_FAILURES, account, limit=99, window=auth.WINDOW_SECONDS)


def test_a_strangers_failures_never_lock_the_owner_out(app, svc):
    """However many wrong passwords a stranger tries on the admin account, the admin
    logging in from elsewhere with the right password gets in."""
    failures(svc, "admin", "203.0.113.66", 50)
    assert login_from(app, "198.51.100.7", "admin", ADMIN_PASSWORD).status_code == 302


def test_an_address_with_many_failures_may_not_try_again(app, svc):
    """From the guessing address, even the right password is refused for a while."""
    failures(svc, "someone", "203.0.113.66", auth.ADDRESS_BLOCK_AFTER)
    response = login_from(app, "203.0.113.66", "admin", ADMIN_PASSWORD)
    assert response.status_code == 400 and "from this network" in response.text


def test_an_account_under_attack_slows_every_address(app, svc):
    """With many failures on one account, an address that fails on it must wait
    a few seconds before its next try, so guessing from many addresses stays slow."""
    failures(svc, "admin", "203.0.113.66", auth.ACCOUNT_SLOW_AFTER)
    assert login_from(app, "192.0.2.9", "admin", "wrong-password").status_code == 400
    response = login_from(app, "192.0.2.9", "admin", "another-guess")
    assert response.status_code == 400 and "Wait" in response.text


def test_failed_logins_are_audited_in_bulk(app, svc):
    """Ten failures of one account from one address make one audit row, not ten."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    for _ in range(10):
        login(client, "admin", "wrong-password")
        svc.redis.delete(keys.login_wait("192.0.2.10"))  # skip the waits
    with svc.db() as db:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.action == "login.failed")).all()
    assert len(rows) == 1


def test_a_successful_login_clears_the_failures(client, svc):
    """One failure, then the right password: the failure count is gone."""
    login(client, "admin", "wrong-password")
    assert svc.limiter.count(ratelimit.LOGIN_FAILURES, "admin", window=auth.WINDOW_SECONDS) == 1
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 302
    assert svc.limiter.count(ratelimit.LOGIN_FAILURES, "admin", window=auth.WINDOW_SECONDS) == 0


def test_an_inactive_user_cannot_log_in(client, svc, users):
    """A deactivated officer's right password is refused."""
    with svc.db() as db:
        db.scalar(select(User).where(User.username == "turkana-officer")).active = False
        db.commit()
    assert login(client, "turkana-officer", PASSWORD).status_code == 400


def test_login_never_redirects_to_another_site(client):
    """A ``next`` pointing elsewhere is ignored."""
    token = csrf_token(client)
    response = client.post("/console/login?next=//evil.example/x",
                           data={"username": "admin", "password": ADMIN_PASSWORD,
                                 "csrf_token": token})
    assert response.status_code == 302
    assert "evil" not in response.location


def test_logout_ends_the_session(admin_client):
    """After logging out, console pages ask for a login again."""
    assert post(admin_client, "/console/logout").status_code == 302
    assert "/console/login" in admin_client.get("/console/reports").location


def test_changing_the_password_ends_other_sessions(app, svc, users):
    """A new password works, and a session opened before the change is logged out."""
    mine, other = app.test_client(), app.test_client()
    login_as(mine, svc, "turkana-officer")
    login_as(other, svc, "turkana-officer")
    response = post(mine, "/console/account/password", {
        "current": PASSWORD, "new": "a-brand-new-passphrase", "repeat": "a-brand-new-passphrase"})
    assert response.status_code == 302
    assert mine.get("/console/reports").status_code == 200
    assert other.get("/console/reports").status_code == 302
    with svc.db() as db:
        row = db.scalar(select(User).where(User.username == "turkana-officer"))
        assert check_password_hash(row.password_hash, "a-brand-new-passphrase")


def test_a_short_new_password_is_refused_with_the_reason(officer_client):
    """The page says what is wrong with the new password."""
    response = post(officer_client, "/console/account/password",
                    {"current": PASSWORD, "new": "short", "repeat": "short"})
    assert response.status_code == 400
    assert "at least 10 characters" in response.text


def test_a_form_posted_without_its_token_is_refused(officer_client, turkana_report, svc):
    """CSRF: an acknowledgement without the form's token is refused and does nothing."""
    response = officer_client.post(f"/console/reports/{turkana_report}/acknowledge", data={})
    assert response.status_code == 400
    assert "reload the page" in response.text
    with svc.db() as db:
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "report.acknowledged")) \
            is None


def test_a_token_from_another_session_is_refused(app, officer_client, turkana_report):
    """CSRF: a token taken from someone else's session does not work."""
    stranger = app.test_client()
    response = officer_client.post(f"/console/reports/{turkana_report}/acknowledge",
                                   data={"csrf_token": csrf_token(stranger)})
    assert response.status_code == 400


def test_webhooks_need_no_csrf_token(client):
    """Provider webhooks are authenticated by signature, not by a console token."""
    response = client.post("/webhooks/africastalking/ussd", data={
        "sessionId": "ATUid_csrf", "phoneNumber": "+254739495441", "networkCode": "99999",
        "serviceCode": "*384*44135#", "text": ""})
    assert response.status_code == 200
    assert response.text.startswith("CON ")


@pytest.mark.real_hashing
def test_passwords_are_hashed_with_scrypt():
    """New passwords use scrypt at werkzeug's full work factor, as the seed does."""
    hashed = auth.hash_password("a-long-password")
    assert hashed.startswith("scrypt:32768:")
    assert check_password_hash(hashed, "a-long-password")


def test_console_pages_send_security_headers(admin_client):
    """CSP without inline scripts, no framing, no sniffing, same-origin referrers."""
    response = admin_client.get("/console/overview")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.text and " style=" not in response.text


def test_logout_ends_the_session_on_the_server(app, client):
    """After logout, a copy of the session cookie taken while logged in no longer works."""
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 302
    cookie = client.get_cookie("session").value
    assert client.get("/console/reports").status_code == 200
    stolen = app.test_client()
    stolen.set_cookie("session", cookie)
    assert stolen.get("/console/reports").status_code == 200  # the copy works while logged in
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/reports")})
    response = stolen.get("/console/reports")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
