"""Dialogue scripts in the console: lint, drafts, simulator, publish, rollback,
diff, funnel."""

from __future__ import annotations

import json

from sqlalchemy import select

from gateway.defaults import default_script_text
from gateway.store import funnel, script_versions
from gateway.store.models import AuditEntry, Report, ScriptVersion

from .conftest import post

SWA_PROMPT = "prompt: Nini kinatokea?"
CONFIRM = {"confirm": "1"}  # the confirmation page's answer
REWORDED = default_script_text().replace(SWA_PROMPT, "prompt: Kuna nini?", 1)
BROKEN = REWORDED.replace("filter_by: county", "filter_by: kaunti", 1)


def ussd(client, session_id, text, phone="+254739495441"):
    return client.post("/webhooks/africastalking/ussd", data={
        "sessionId": session_id, "phoneNumber": phone, "networkCode": "99999",
        "serviceCode": "*384*44135#", "text": text}).text


def save(admin_client, body) -> int:
    response = post(admin_client, "/console/scripts/report/drafts", {"body": body})
    assert response.status_code == 302
    return int(response.location.rsplit("/", 1)[1])


def test_lint_panel_reports_errors_with_line_numbers(admin_client):
    """Checking a broken draft returns the linter's errors with their line numbers."""
    line = BROKEN.splitlines().index("  - id: sub_county") + 1  # the step's line
    response = admin_client.post("/console/scripts/report/versions/1/check",
                                 data={"body": BROKEN},
                                 headers={"X-Requested-With": "fetch",
                                          "X-CSRFToken": _token(admin_client)})
    assert response.status_code == 200
    assert "1 error(s)" in response.text
    assert f"line {line}" in response.text and "kaunti" in response.text
    assert "<html" not in response.text  # the panel alone


def _token(client):
    from .conftest import csrf_token

    return csrf_token(client, "/console/account/password")


def test_lint_panel_shows_coverage_and_screen_sizes(admin_client):
    """The editor shows the translation coverage table and each screen's size."""
    page = admin_client.get("/console/scripts/report/versions/1").text
    assert "Translations (step × language)" in page
    assert "✓" in page  # every text translated
    assert "Screen sizes (USSD characters" in page and "sub_county (turkana), page 1" in page


def test_saving_makes_a_new_draft_version(admin_client, svc):
    """Saving stores a new version as a draft, not live, and audits it."""
    number = save(admin_client, REWORDED)
    with svc.db() as db:
        row = db.scalar(select(ScriptVersion).where(ScriptVersion.version == number))
        assert (row.status, row.is_live, row.created_by) == ("draft", False, "admin")
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "script.draft_saved"))


def test_simulator_walks_a_draft_without_storing_a_report(admin_client, svc):
    """The simulator shows the draft's screens in Kiswahili and to the end stores nothing."""
    number = save(admin_client, REWORDED)
    path = f"/console/scripts/report/versions/{number}/simulate"
    page = post(admin_client, path, {"channel": "ussd", "language": "swa"}).text
    assert "Kuna nini?" in page
    form = _sim_form(page)
    for text in ["1", "1", "1", "1", "Watu wenye silaha", "2", "1"]:
        page = post(admin_client, path, dict(form, input=text, action="send")).text
        form = _sim_form(page)
    assert 'id="sim-ended"' in page and "stored nothing" in page
    with svc.db() as db:
        assert db.scalar(select(Report)) is None


def _sim_form(page: str) -> dict:
    import html
    import re

    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    return {k: html.unescape(v) for k, v in fields.items() if k != "csrf_token"}


def test_simulator_recovers_from_a_tampered_session(admin_client):
    """A session the engine cannot read asks to start again instead of failing."""
    page = post(admin_client, "/console/scripts/report/versions/1/simulate",
                {"action": "send", "session": "{not json", "input": "1"}).text
    assert "Start again" in page


def test_a_draft_with_errors_cannot_be_published(admin_client, svc):
    """Publishing a broken draft is refused with the error count; live stays as it was."""
    number = save(admin_client, BROKEN)
    response = post(admin_client, f"/console/scripts/report/versions/{number}/publish", CONFIRM)
    assert response.status_code == 400
    assert "cannot be published" in response.text
    with svc.db() as db:
        assert db.scalar(select(ScriptVersion.version).where(ScriptVersion.is_live)) == 1


def test_publish_serves_new_sessions_and_lets_old_ones_finish(admin_client, client, svc):
    """After publishing, a new USSD session sees the new wording; one already under way
    keeps the version it started with.  The publish is audited."""
    ussd(client, "ATUid_old", "")
    number = save(admin_client, REWORDED)
    post(admin_client, f"/console/scripts/report/versions/{number}/publish", CONFIRM)
    assert "Nini kinatokea?" in ussd(client, "ATUid_old", "2")
    ussd(client, "ATUid_new", "", phone="+254739495442")
    assert "Kuna nini?" in ussd(client, "ATUid_new", "2", phone="+254739495442")
    with svc.db() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "script.published"))
        assert entry.detail == {"previous": 1, "version": number}


def test_rollback_republishes_an_earlier_version(admin_client, client, svc):
    """Publishing an earlier version again is a rollback, audited as such."""
    number = save(admin_client, REWORDED)
    post(admin_client, f"/console/scripts/report/versions/{number}/publish", CONFIRM)
    page = admin_client.get("/console/scripts/report/versions/1").text
    assert "Roll back to version 1" in page
    post(admin_client, "/console/scripts/report/versions/1/publish", CONFIRM)
    ussd(client, "ATUid_after", "")
    assert "Nini kinatokea?" in ussd(client, "ATUid_after", "2")
    with svc.db() as db:
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "script.rollback"))


def test_diff_shows_the_changed_lines(admin_client):
    """The diff between the live version and a draft shows the removed and added line."""
    number = save(admin_client, REWORDED)
    page = admin_client.get(f"/console/scripts/report/diff?a=1&b={number}").text
    assert '<span class="del">-        prompt: Nini kinatokea?</span>' in page
    assert '<span class="add">+        prompt: Kuna nini?</span>' in page


def test_funnel_page_shows_reached_and_stopped(admin_client, svc):
    """Counts recorded for the live script appear per step on the funnel page."""
    with svc.db() as db:
        script = script_versions.parse_version(db.scalar(select(ScriptVersion)))
    pipe, today = svc.redis.pipeline(), svc.clock.now()
    funnel.buffer(pipe, script, [{"type": "step", "step": "language"}], began=today)
    funnel.buffer(pipe, script, [{"type": "step", "step": "language"}], began=today)
    funnel.buffer(pipe, script, [{"type": "step", "step": "category"}], before="language", began=today)
    pipe.execute()
    page = admin_client.get("/console/scripts/report/funnel").text
    rows = {step: (reached, stopped) for step, reached, stopped in _funnel_rows(page)}
    assert rows["language"] == ("2", "1")
    assert rows["category"] == ("1", "1")
    assert "<svg" in page


def _funnel_rows(page):
    import re

    return re.findall(r'<th scope="row">(\w+)</th><td>(\d+)</td><td>\d+%</td>\s*<td>(\d+)', page)


def test_simulator_session_is_json_in_the_page(admin_client):
    """The simulator keeps its session in the page as JSON, not on the server."""
    page = post(admin_client, "/console/scripts/report/versions/1/simulate",
                {"channel": "sms", "language": "eng"}).text
    session = json.loads(_sim_form(page)["session"])
    assert session["channel"] == "sms" and session["step"] == "category"


def test_a_script_larger_than_the_app_wide_limit_is_saved_and_linted(admin_client):
    """A 40 KB script (more than MAX_CONTENT_LENGTH) is accepted by the editor's routes."""
    body = default_script_text() + "\n# " + "x" * 40_000 + "\n"
    response = post(admin_client, "/console/scripts/report/drafts", {"body": body})
    assert response.status_code == 302


def test_a_script_over_the_loaders_limit_gets_the_editors_own_error(admin_client):
    """A script over 256 KB gets the editor's clear error, not a raw 413."""
    body = default_script_text() + "\n# " + "x" * 300_000 + "\n"
    response = post(admin_client, "/console/scripts/report/drafts", {"body": body})
    assert response.status_code == 400
    assert "256 KB a script may have" in response.text


def test_a_body_beyond_any_limit_gets_a_readable_page(admin_client):
    """Even past the editor's limit the answer is the console's page, saying why."""
    body = "x" * 1_000_000
    response = post(admin_client, "/console/scripts/report/drafts", {"body": body})
    assert response.status_code == 413
    assert "Too large" in response.text and "KB" in response.text


def test_script_page_shows_review_state_and_draft_texts_per_language(admin_client):
    """The editor lists, per language, translated and reviewed counts and the
    keys of the draft texts (Turkana: every text a draft)."""
    from tests.commands.test_translations import texts_total

    n = texts_total()
    page = admin_client.get("/console/scripts/report/versions/1").text
    assert "Review state per language" in page
    assert f"<th scope=\"row\">tuv</th><td>{n}/{n}</td><td class=\"missing\">0</td>" in page
    assert f"all {n} draft" in page
    assert "/console/scripts/report/versions/1/translations/gax.po" in page


def _po_download(admin_client, language="gax"):
    import polib

    response = admin_client.get(f"/console/scripts/report/versions/1/translations/{language}.po")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    return polib.pofile(response.get_data(as_text=True))


def _upload(admin_client, po_text: str, name="gax.po"):
    import io

    from .conftest import csrf_token

    return admin_client.post("/console/scripts/report/translations", data={
        "csrf_token": csrf_token(admin_client, "/console/account/password"),
        "po": (io.BytesIO(po_text.encode()), name)}, content_type="multipart/form-data")


def test_po_download_edit_upload_makes_an_audited_draft_version(admin_client, svc):
    """Download Borana, confirm one entry, upload: a new draft version (not
    live) whose entry is reviewed, and audit rows for both."""
    from gateway.defaults import gazetteer_text
    from gateway.dialogue import load_script

    po = _po_download(admin_client)
    entry = next(e for e in po if e.msgctxt == "steps.when.prompt")
    entry.msgstr, entry.flags = "Yoom ture?", []
    response = _upload(admin_client, str(po))
    assert response.status_code == 302
    number = int(response.location.rsplit("/", 1)[1])
    with svc.db() as db:
        row = db.scalar(select(ScriptVersion).where(ScriptVersion.version == number))
        assert (row.status, row.is_live, row.created_by) == ("draft", False, "admin")
        script = load_script(row.body, gazetteer_text())
        assert script.text("steps.when.prompt", "gax") == "Yoom ture?"
        assert script.review_state("gax", "steps.when.prompt") == "reviewed"
        actions = {a.action: a for a in db.scalars(select(AuditEntry))}
    assert actions["script.translations_imported"].target == f"report v{number}"
    assert actions["script.translations_imported"].actor == "admin"
    assert "script.translations_exported" in actions


def test_po_upload_with_a_dropped_placeholder_is_refused_and_saves_nothing(admin_client, svc):
    """The refusal names the key; the answer is 400 and no version is added."""
    po = _po_download(admin_client)
    next(e for e in po if e.msgctxt == "steps.done.text").msgstr = "Ergameera. Galatoomaa."
    response = _upload(admin_client, str(po))
    assert response.status_code == 400
    assert "steps.done.text" in response.text and "{reference}" in response.text
    with svc.db() as db:
        assert len(db.scalars(select(ScriptVersion)).all()) == 1


def test_po_upload_without_csrf_token_is_refused(admin_client, svc):
    """The upload is CSRF-protected like every console form."""
    import io

    response = admin_client.post("/console/scripts/report/translations", data={
        "po": (io.BytesIO(b'msgid ""\nmsgstr ""\n'), "x.po")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    with svc.db() as db:
        assert len(db.scalars(select(ScriptVersion)).all()) == 1
