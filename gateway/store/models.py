"""SQLAlchemy models.  The schema is created by Alembic migrations
(``mpaka db upgrade``); tests may call ``Base.metadata.create_all``."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime as _DateTime
from sqlalchemy.types import TypeDecorator

from gateway.core.clock import utcnow
from gateway.vocab import AlertStatus, AttachmentStatus, IncidentStatus


class DateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite drops the zone)."""

    impl = _DateTime(timezone=True)
    cache_ok = True

    def __init__(self, timezone: bool = True):
        super().__init__()

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        # Newest-first lists and the API's (created_at, id) cursor.
        Index("ix_reports_created_id", "created_at", "id"),
        # The map: counts per place and severity read from the index alone,
        # and its located reports (a few) without reading every report.
        Index("ix_reports_place_severity", "county", "sub_county", "severity"),
        # The queue: the newest unacknowledged reports, however many are closed.
        Index("ix_reports_waiting", "created_at", "id",
              postgresql_where=sql("acknowledged_at IS NULL"),
              sqlite_where=sql("acknowledged_at IS NULL")),
        Index("ix_reports_located", "created_at", "id",
              postgresql_where=sql("latitude IS NOT NULL AND longitude IS NOT NULL"),
              sqlite_where=sql("latitude IS NOT NULL AND longitude IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(32), index=True)
    county: Mapped[str] = mapped_column(String(32), index=True)
    sub_county: Mapped[str | None] = mapped_column(String(48))
    #: The place the reporter named or shared, as the gazetteer names it ("Kakuma").
    place_name: Mapped[str | None] = mapped_column(String(64))
    #: A location shared on WhatsApp, rounded to 3 decimals (about 110 m).
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    when: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    contact_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Only when the reporter agreed to be contacted; anonymous reports keep no number.
    reporter_phone: Mapped[str | None] = mapped_column(String(255))
    #: Keyed hash of the number (never reversible without the key), for lookups.
    reporter_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(8), index=True)
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    script_id: Mapped[str] = mapped_column(String(64))
    script_version: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    routed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The console user working on the report (``Report.assignee``); empty until assigned.
    assigned_to: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    assignee: Mapped[User | None] = relationship(foreign_keys=[assigned_to])
    events: Mapped[list[ReportEvent]] = relationship(
        back_populates="report", order_by="ReportEvent.id", cascade="all, delete-orphan"
    )


class Attachment(Base):
    """A photo, voice note or video a reporter sent (WhatsApp), kept in the
    media store under ``storage_key`` (a random id: never the phone, never the
    provider's URL).  No phone hash, no message id: an anonymous report's media
    must not link it to a number.  ``report_id`` is empty while the dialogue
    that received it is unfinished; ``status`` says whether the file is still
    being fetched (``pending``), kept (``stored``) or was refused (``refused``:
    too large, a type not allowed, not from Twilio)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The random id the dialogue carries (``DialogueSession.attachments``).
    key: Mapped[str] = mapped_column(String(32), unique=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # photo | voice | video
    content_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=AttachmentStatus.PENDING)
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ReportEvent(Base):
    """The report's timeline: received, routed, delivered, acknowledged, ..."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    report: Mapped[Report] = relationship(back_populates="events")


class Message(Base):
    """The message ledger: every inbound and outbound message with its status."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_provider_id", "provider", "provider_message_id"),
        Index("ix_messages_created", "created_at"),
        Index("ix_messages_status", "direction", "status"),
        Index("ix_messages_report", "report_id"),
        # Retention finds only rows that still hold text or a number; stripped
        # rows leave this index, so a run with nothing to strip reads nothing.
        Index("ix_messages_unstripped", "created_at",
              postgresql_where=sql("text IS NOT NULL OR phone_hash IS NOT NULL"),
              sqlite_where=sql("text IS NOT NULL OR phone_hash IS NOT NULL")),
        Index("ux_messages_ledger_entry", "ledger_entry", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(4))  # in | out
    channel: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    sender: Mapped[str | None] = mapped_column(String(255))
    recipient: Mapped[str | None] = mapped_column(String(255))
    #: Keyed hash of the counterpart's number (sender in, recipient out), so an
    #: erasure request finds every row without decrypting the ledger.
    phone_hash: Mapped[str | None] = mapped_column(String(40), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    #: The ledger stream entry a row came from (``<entry id>/<n>``), so a batch
    #: written again after a crash inserts nothing twice; ``None`` for rows
    #: written directly (``gateway.store.ledger_stream``).
    ledger_entry: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class LedgerForget(Base):
    """A dialogue's forgetting that could not travel in the ledger stream
    (Redis failed as the dialogue ended): applied by the ledger writer to
    every row that lands, then deleted once nothing older waits in the stream
    (``gateway.store.ledger_stream``).  Holds a keyed hash and two times, for
    seconds: never a number or words."""

    __tablename__ = "ledger_forgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    how: Mapped[str] = mapped_column(String(8))  # unlink | erase (gateway.store.ledger)
    phone_hash: Mapped[str] = mapped_column(String(40))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ussd_session: Mapped[str | None] = mapped_column(String(128))


class ScriptVersion(Base):
    """One version of a dialogue script's YAML.  Exactly one version per script is live."""

    __tablename__ = "script_versions"
    __table_args__ = (UniqueConstraint("script_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | published
    is_live: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))  # admin | county_officer
    counties: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    tier: Mapped[str] = mapped_column(String(16))  # county | regional | national
    counties: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8), default="eng")
    #: May this team see the number of a reporter who agreed to be contacted?
    sees_contacts: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team", order_by="TeamMember.id", cascade="all, delete-orphan"
    )
    endpoints: Mapped[list[AgencyEndpoint]] = relationship(
        order_by="AgencyEndpoint.id", cascade="all, delete-orphan"
    )


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="sms")  # sms | whatsapp
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    team: Mapped[Team] = relationship(back_populates="members")


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# -- Routing ------------------------------------------------------------------


class AgencyEndpoint(Base):
    """An agency's own system: reports are POSTed to it as signed JSON."""

    __tablename__ = "agency_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    url: Mapped[str] = mapped_column(String(512))
    secret: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: What is POSTed: ``json`` (the signed JSON payload) or ``cap`` (a CAP 1.2
    #: message, gateway.routing.cap), signed the same way.
    format: Mapped[str] = mapped_column(String(8), default="json", server_default="json")
    #: A partner's endpoint: what it is sent is redacted to the partner's level.
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), index=True)

    partner: Mapped[Partner | None] = relationship()


class RoutingRule(Base):
    """County (or any) × categories (or any) × minimum severity → team."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    county: Mapped[str | None] = mapped_column(String(32))  # None: any county
    categories: Mapped[list] = mapped_column(JSON, default=list)  # empty: any category
    min_severity: Mapped[str] = mapped_column(String(8), default="low")
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class IncidentPolicy(Base):
    """Per category: how close in time reports must be, and how many make an incident."""

    __tablename__ = "incident_policies"

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_hours: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)


class EscalationPolicy(Base):
    """Per severity: how long an alert may wait for acknowledgement."""

    __tablename__ = "escalation_policies"

    severity: Mapped[str] = mapped_column(String(8), primary_key=True)
    deadline_minutes: Mapped[int] = mapped_column(Integer)


class Alert(Base):
    """One team told about one report (or incident), at one escalation level."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("report_id", "team_id", name="uq_alert_report_team"),
        UniqueConstraint("incident_id", "team_id", "level", name="uq_alert_incident_team_level"),
        # Alerts waiting for acknowledgement, by deadline (overview, overdue, escalation).
        Index("ix_alerts_pending_deadline", "deadline_at",
              postgresql_where=sql("status = 'pending'"), sqlite_where=sql("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="report")  # report | incident
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    #: Report alerts: 0 for first routing, n for the n-th escalation.
    #: Incident alerts: the reporter count that raised it (3, 6, 12, ...).
    level: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.PENDING)  # pending | acknowledged
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))

    team: Mapped[Team] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="alert", order_by="Delivery.id")


class Delivery(Base):
    """One alert to one member (through a ledger message) or one agency endpoint."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "member_id", name="uq_delivery_member"),
        UniqueConstraint("alert_id", "endpoint_id", name="uq_delivery_endpoint"),
        Index("ix_deliveries_message", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency_endpoints.id", ondelete="SET NULL")
    )
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="deliveries")
    message: Mapped[Message | None] = relationship()


class Incident(Base):
    """Reports of one category in one sub-county within a window: early warning."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    county: Mapped[str] = mapped_column(String(32), index=True)
    sub_county: Mapped[str | None] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.OPEN)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Distinct reporters among the reports (one per reporter hash; each
    #: anonymous report counts once): the threshold and doubling count these.
    reporter_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The reporter count the last incident alert was raised at (0: none yet).
    alerted_count: Mapped[int] = mapped_column(Integer, default=0)
    first_report_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_report_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Why it was closed (an officer's words, or "Merged into incident 12").
    close_reason: Mapped[str | None] = mapped_column(String(500))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The incident its reports were moved into when it was merged.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL")
    )


class IncidentEvent(Base):
    """An incident's own timeline: reports linked or unlinked by an officer,
    merges, status changes, closing with a reason, notes (``gateway.vocab.IncidentEventKind``)."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IncidentReport(Base):
    __tablename__ = "incident_reports"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True, unique=True
    )


class DialogueStepCount(Base):
    """The funnel of a script version, per day: how many sessions reached each
    step, and how many stopped there (sessions whose latest step it is)."""

    __tablename__ = "dialogue_step_counts"
    __table_args__ = (UniqueConstraint("script_id", "version", "step", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    reached: Mapped[int] = mapped_column(Integer, default=0)
    stopped: Mapped[int] = mapped_column(Integer, default=0)


class ApiToken(Base):
    """A bearer token for ``/api/v1``: acts with its user's role and counties.
    Only a SHA-256 of the token is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``None`` for a partner's token (``partner_id``), which reads only ``/api/v1/shared``.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    #: The first characters of the token, to recognise it in listings.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User | None] = relationship()
    partner: Mapped[Partner | None] = relationship()


class Partner(Base):
    """An organisation that receives reports' data at a sharing level
    (``gateway.vocab.SharingLevel``; what each contains: gateway.privacy.sharing)."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    #: The counties it may receive; empty: every county.
    counties: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Share(Base):
    """One thing that left for a partner: through which channel, what kind,
    which ids, at which level (the audit of sharing)."""

    __tablename__ = "shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # api | webhook | cap
    kind: Mapped[str] = mapped_column(String(16))  # aggregate | incident | report
    level: Mapped[str] = mapped_column(String(16))
    #: Report references or incident ids (empty for aggregates), and how many rows.
    ids: Mapped[list] = mapped_column(JSON, default=list)
    count: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
