"""The texts table of a script (translations edited in place, each beside its
English text, with its size and review state), its live linter, and the
confirmation step before publishing."""

from __future__ import annotations

from sqlalchemy import select

from gateway.defaults import gazetteer_text
from gateway.dialogue import load_script
from gateway.store.models import AuditEntry, ScriptVersion

from .conftest import csrf_token, post

TEXTS = "/console/scripts/report/versions/1/texts"
KEY = "steps.category.prompt"


def script_of(svc, number):
    with svc.db() as db:
        body = db.scalar(select(ScriptVersion.body).where(ScriptVersion.version == number))
    return load_script(body, gazetteer_text=gazetteer_text())


def edit(admin_client, language, texts, reviewed=(), number=1):
    data = {f"text:{k}": v for k, v in texts.items()}
    data.update({f"reviewed:{k}": "1" for k in reviewed})
    return post(admin_client, f"/console/scripts/report/versions/{number}/texts/{language}", data)


def test_texts_table_lists_each_text_with_source_size_and_state(admin_client):
    """The Borana table shows a text's key, its English, its translation, its
    screen size against the USSD budget and its review state."""
    page = admin_client.get(f"{TEXTS}/gax").text
    assert f"<code>{KEY}</code>" in page
    assert "What is happening?" in page  # the English beside it
    assert "Maaltu ta&#39;aa jira?" in page
    assert "/160" in page  # the screen against its budget
    assert 'name="reviewed:steps.category.prompt" value="1"> Reviewed' in page  # draft


def test_editing_a_translation_saves_a_new_draft_version(admin_client, svc):
    """A changed translation becomes a new draft version (the live one stays),
    with only that text changed, and the edit is audited."""
    response = edit(admin_client, "swa", {KEY: "Kuna nini?"})
    assert response.status_code == 302 and "/versions/2/texts/swa" in response.location
    new, old = script_of(svc, 2), script_of(svc, 1)
    assert new.texts["swa"][KEY] == "Kuna nini?"
    assert {k for k in new.texts["swa"] if new.texts["swa"][k] != old.texts["swa"].get(k)} == {KEY}
    with svc.db() as db:
        row = db.scalar(select(ScriptVersion).where(ScriptVersion.version == 2))
        assert (row.status, row.is_live) == ("draft", False)
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "script.texts_edited"))
        assert entry.detail["language"] == "swa" and entry.detail["changed"] == 1


def test_ticking_reviewed_marks_the_text_reviewed(admin_client, svc):
    """Ticking a Turkana text's Reviewed box saves it reviewed; the others stay draft."""
    text = script_of(svc, 1).texts["tuv"][KEY]
    response = edit(admin_client, "tuv", {KEY: text}, reviewed=[KEY])
    assert response.status_code == 302
    script = script_of(svc, 2)
    assert script.review_state("tuv", KEY) == "reviewed"
    assert script.review_state("tuv", "steps.when.prompt") == "draft"


def test_unticking_reviewed_puts_the_text_back_to_draft(admin_client, svc):
    """A reviewed text sent without its box becomes draft again."""
    text = script_of(svc, 1).texts["tuv"][KEY]
    edit(admin_client, "tuv", {KEY: text}, reviewed=[KEY])
    edit(admin_client, "tuv", {KEY: text}, number=2)
    assert script_of(svc, 3).review_state("tuv", KEY) == "draft"


def test_a_dropped_placeholder_is_refused_with_its_key(admin_client, svc):
    """A translation without the English's {reference} is refused, naming the
    key; nothing is saved and what was typed is shown back."""
    key = next(k for k, v in script_of(svc, 1).texts["eng"].items() if "{reference}" in v)
    response = edit(admin_client, "swa", {key: "Asante sana kwa ripoti yako"})
    assert response.status_code == 400
    assert f"&#39;{key}&#39;: the translation must keep the placeholders" in response.text
    assert "Asante sana kwa ripoti yako</textarea>" in response.text
    assert "Refused, see above" in response.text  # its row is flagged
    with svc.db() as db:
        assert db.scalar(select(ScriptVersion).where(ScriptVersion.version == 2)) is None


def test_a_text_too_long_for_a_ussd_screen_is_refused_with_its_key(admin_client, svc):
    """A prompt that makes its USSD screen longer than the budget is refused by key."""
    response = edit(admin_client, "swa", {KEY: "Nini kinatokea hapa " * 8})
    assert response.status_code == 400
    assert f"{KEY}: category (swa" in response.text and "USSD screen is" in response.text
    with svc.db() as db:
        assert db.scalar(select(ScriptVersion).where(ScriptVersion.version == 2)) is None


def test_the_live_linter_checks_the_table_as_typed(admin_client, svc):
    """The lint endpoint answers the linter's panel for the typed table, with a
    refused text named, and saves nothing."""
    token = csrf_token(admin_client, "/console/account/password")
    response = admin_client.post(f"{TEXTS}/swa/check", data={f"text:{KEY}": "Nini {x}?"},
                                 headers={"X-Requested-With": "fetch", "X-CSRFToken": token})
    assert response.status_code == 200 and "<html" not in response.text
    assert "1 text(s) refused" in response.text and KEY in response.text
    with svc.db() as db:
        assert db.scalar(select(ScriptVersion).where(ScriptVersion.version == 2)) is None


def test_an_unknown_language_is_not_found(admin_client):
    """The base language and a language the script lacks have no texts table."""
    assert admin_client.get(f"{TEXTS}/eng").status_code == 404
    assert admin_client.get(f"{TEXTS}/xyz").status_code == 404


def test_publish_confirmation_shows_a_summary_of_the_changes(admin_client, svc):
    """The confirmation page names what changes per language and the steps changed."""
    edit(admin_client, "swa", {KEY: "Kuna nini?"})
    page = admin_client.get("/console/scripts/report/versions/2/publish").text
    assert "Publish report version 2?" in page
    assert 'id="change-summary"' in page and f"<code>{KEY}</code>" in page
    assert "Steps changed: none" in page and 'id="confirm-publish"' in page
    with svc.db() as db:
        assert db.scalar(select(ScriptVersion.version).where(ScriptVersion.is_live)) == 1


def test_publishing_without_confirmation_publishes_nothing(admin_client, svc):
    """A POST without confirm=1 leads to the confirmation page; live stays."""
    edit(admin_client, "swa", {KEY: "Kuna nini?"})
    response = post(admin_client, "/console/scripts/report/versions/2/publish")
    assert response.status_code == 302
    assert response.location.endswith("/console/scripts/report/versions/2/publish")
    with svc.db() as db:
        assert db.scalar(select(ScriptVersion.version).where(ScriptVersion.is_live)) == 1


def test_publishing_with_confirmation_publishes(admin_client, svc):
    """The confirmation's POST (confirm=1) makes the version live."""
    edit(admin_client, "swa", {KEY: "Kuna nini?"})
    response = post(admin_client, "/console/scripts/report/versions/2/publish", {"confirm": "1"})
    assert response.status_code == 302
    with svc.db() as db:
        assert db.scalar(select(ScriptVersion.version).where(ScriptVersion.is_live)) == 2


def test_the_table_can_show_only_the_texts_not_reviewed(admin_client, svc):
    """"Not reviewed" lists only the draft texts; a reviewed one is left out,
    and saving from that view keeps it."""
    text = script_of(svc, 1).texts["tuv"][KEY]
    edit(admin_client, "tuv", {KEY: text}, reviewed=[KEY])
    page = admin_client.get("/console/scripts/report/versions/2/texts/tuv?show=draft").text
    assert 'name="text:steps.when.prompt"' in page
    assert f'name="text:{KEY}"' not in page
    response = post(admin_client, "/console/scripts/report/versions/2/texts/tuv?show=draft",
                    {"text:steps.when.prompt": script_of(svc, 2).texts["tuv"]["steps.when.prompt"],
                     "reviewed:steps.when.prompt": "1"})
    assert response.status_code == 302 and response.location.endswith("?show=draft")
    script = script_of(svc, 3)
    assert script.review_state("tuv", KEY) == script.review_state("tuv", "steps.when.prompt") \
        == "reviewed"
