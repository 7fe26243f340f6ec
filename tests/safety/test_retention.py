"""Retention strips old numbers and descriptions; `reporter forget` erases
everything linked to one number's keyed hash."""

from __future__ import annotations

from sqlalchemy import select

from gateway.cli.main import main
from gateway.core import keys
from gateway.core.protector import Protector
from gateway.privacy import retention
from gateway.store.models import AuditEntry, Message, Report
from tests.gateway.test_intake_ussd import INPUTS, PHONE, walk


def test_purge_strips_numbers_and_descriptions_but_keeps_statistics(client, svc, clock):
    """Past the retention period a report keeps category, place and time, not the number or text."""
    walk(client, INPUTS)
    clock.advance(days=366)
    counts = retention.purge_expired(svc)
    with svc.db() as db:
        report = db.scalar(select(Report))
        messages = db.scalars(select(Message)).all()
        audit = db.scalar(select(AuditEntry).where(AuditEntry.action == "retention.purge"))
    assert counts["reports"] == 1
    assert report.reporter_phone is None and report.description is None
    assert "description" not in report.answers
    assert (report.category, report.county, report.when) == ("terrorism", "turkana", "now")
    assert all(m.text is None and m.phone_hash is None for m in messages)
    assert audit.detail["reports"] == 1


def test_purge_strips_more_rows_than_one_batch_in_several_transactions(client, svc, clock,
                                                                      monkeypatch):
    """Rows are stripped a batch per transaction; every expired row is reached, the
    outbound ledger keeps its sender (the shortcode) and loses the recipient."""
    monkeypatch.setattr(retention, "BATCH", 2)
    for session in range(3):
        walk(client, INPUTS, session_id=f"ATUid_batch_{session}", phone=f"+25472200000{session}")
    clock.advance(days=366)
    counts = retention.purge_expired(svc)
    with svc.db() as db:
        reports = db.scalars(select(Report)).all()
        messages = db.scalars(select(Message)).all()
    assert counts["reports"] == len(reports) == 3
    assert counts["messages"] == len(messages) > 2
    assert all(r.reporter_phone is None and r.description is None for r in reports)
    assert all(m.text is None and m.phone_hash is None for m in messages)
    assert all(m.sender is None for m in messages if m.direction == "in")
    assert all(m.recipient is None for m in messages if m.direction == "out")
    assert retention.purge_expired(svc)["messages"] == 0  # nothing left to strip


def test_purge_drops_coordinates_but_keeps_the_place_named(client, svc, clock):
    """Past the retention period a shared location goes; the named place stays."""
    walk(client, INPUTS)
    with svc.db() as db:
        report = db.scalar(select(Report))
        report.place_name, report.latitude, report.longitude = "Kakuma", 3.72, 34.861
        db.commit()
    clock.advance(days=366)
    retention.purge_expired(svc)
    with svc.db() as db:
        report = db.scalar(select(Report))
    assert (report.place_name, report.latitude, report.longitude) == ("Kakuma", None, None)


def test_forget_drops_the_coordinates_that_number_shared(client, svc):
    """`forget` erases a consenting reporter's shared location with their number."""
    walk(client, INPUTS)
    with svc.db() as db:
        report = db.scalar(select(Report))
        report.latitude, report.longitude = 3.72, 34.861
        db.commit()
    retention.forget(svc, PHONE)
    with svc.db() as db:
        report = db.scalar(select(Report))
    assert (report.latitude, report.longitude) == (None, None)


def test_purge_leaves_recent_reports_alone(client, svc):
    """Reports younger than the retention period are untouched."""
    walk(client, INPUTS)
    assert retention.purge_expired(svc) == {"reports": 0, "messages": 0, "attachments": 0}
    with svc.db() as db:
        assert db.scalar(select(Report.description)) is not None


def test_forget_erases_numbers_drafts_and_texts(client, svc, redis_conn):
    """`forget` removes the number from reports and ledger, the texts sent, and the Redis unfinished."""
    walk(client, INPUTS)
    walk(client, INPUTS[:3], session_id="ATUid_unfinished")  # leaves a unfinished
    phone_hash = svc.protector.phone_hash(PHONE)
    assert redis_conn.exists(keys.unfinished(phone_hash))
    erased = retention.forget(svc, PHONE)
    assert erased["reports"] == 1 and erased["messages"] > 0 and erased["redis_keys"] >= 1
    assert not redis_conn.exists(keys.unfinished(phone_hash))
    with svc.db() as db:
        report = db.scalar(select(Report))
        assert report.reporter_phone is None and not report.contact_allowed
        assert db.scalar(select(Message).where(Message.phone_hash == phone_hash)) is None
        assert all(m.text is None for m in db.scalars(select(Message).where(Message.direction == "in")))
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "reporter.forget"))


def test_forget_command_says_what_it_erased(app, client):
    """`mpaka reporter forget +2547…` reports each kind of data it erased."""
    walk(client, INPUTS)
    result = app.test_cli_runner().invoke(main, args=["reporter", "forget", PHONE, "--yes"])
    assert result.exit_code == 0, result.output
    assert "reports whose number was removed: 1" in result.output
    assert PHONE not in result.output


def test_forget_command_rejects_a_bad_number(app):
    """A malformed number is refused with a clear message."""
    result = app.test_cli_runner().invoke(main, args=["reporter", "forget", "not-a-number", "--yes"])
    assert result.exit_code != 0
    assert "phone number" in result.output


def test_key_rotation_reencrypts_every_number(app, client, svc):
    """`mpaka keys rotate` re-encrypts under the newest key; the old key can then go."""
    from cryptography.fernet import Fernet

    from gateway.core.protector import encryption_keys

    walk(client, INPUTS)
    old = encryption_keys(svc.config)
    new = Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = ",".join([new, *old])
    del svc.protector  # as a new process would, read the keys again
    result = app.test_cli_runner().invoke(main, args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 report number" in result.stdout
    only_new = Protector(svc.config["PHONE_HASH_KEY"], [new])
    with svc.db() as db:
        report = db.scalar(select(Report))
        assert only_new.decrypt(report.reporter_phone) == PHONE
        senders = [m.sender for m in db.scalars(select(Message).where(Message.direction == "in"))]
    assert senders and all(only_new.decrypt(s) == PHONE for s in senders)
