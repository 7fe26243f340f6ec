"""Mpaka's vocabulary: every channel, severity, tier, priority and status, in
one module.  Forms, CSV, the OpenAPI document, console labels, the linter and
the provider adapters derive their lists from these enums, never from strings
of their own.

A leaf: it imports nothing but ``enum``, so the pure dialogue engine and the
provider adapters may use it without depending on the rest of the gateway
(the one exception their import contracts make).  Counties and categories are
not here: they are data, in the dialogue script and its gazetteer.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """How a message reaches or leaves the gateway."""

    USSD = "ussd"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    VOICE = "voice"  # Africa's Talking Voice: calls in (spoken prompts, keypad answers, a recording) and missed-call callbacks out


class AlertChannel(StrEnum):
    """How a team member or agency receives an alert."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    WEBHOOK = "webhook"


#: Channels a team member can be alerted on (agencies' systems are endpoints).
MEMBER_CHANNELS: tuple[AlertChannel, ...] = (AlertChannel.SMS, AlertChannel.WHATSAPP)
#: Every channel a ledger row can carry.
LEDGER_CHANNELS: tuple[str, ...] = (*Channel, AlertChannel.WEBHOOK)


class Severity(StrEnum):
    """Declared least severe first: ``rank`` and comparisons follow this order."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    @classmethod
    def most_severe_first(cls) -> tuple[Severity, ...]:
        return tuple(reversed(cls))

    @classmethod
    def rank_of(cls, value: str | None, default: Severity | None = None) -> int:
        """The rank of a stored value; an unknown one ranks as ``default``
        (medium unless given)."""
        if value in tuple(cls):
            return cls(value).rank
        return (default or cls.MEDIUM).rank


class Tier(StrEnum):
    """Declared in escalation order: county first, the national desk last."""

    COUNTY = "county"
    REGIONAL = "regional"
    NATIONAL = "national"

    def above(self) -> tuple[Tier, ...]:
        """The tiers an unacknowledged alert escalates to, in order."""
        tiers = list(Tier)
        return tuple(tiers[tiers.index(self) + 1:])


class Priority(StrEnum):
    NORMAL = "normal"
    LOW = "low"  # held for review: over the sender's report limit


class ReportStatus(StrEnum):
    RECEIVED = "received"
    HELD = "held"  # over the sender's report limit: waits for an admin's review
    DISMISSED = "dismissed"  # a reviewed held report an admin chose not to route
    ROUTED = "routed"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    FALSE_ALARM = "false_alarm"

    @classmethod
    def actions(cls) -> tuple[ReportStatus, ...]:
        """What a team sets by hand after acknowledging."""
        return (cls.INVESTIGATING, cls.RESOLVED, cls.FALSE_ALARM)

    @classmethod
    def under_review(cls) -> tuple[ReportStatus, ...]:
        """Held reports and dismissed ones: never routed unless released."""
        return (cls.HELD, cls.DISMISSED)

    @classmethod
    def closed(cls) -> tuple[ReportStatus, ...]:
        return (cls.RESOLVED, cls.FALSE_ALARM)

    @classmethod
    def awaiting_acknowledgement(cls) -> tuple[ReportStatus, ...]:
        return (cls.RECEIVED, cls.ROUTED)


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class MessageStatus(StrEnum):
    """A ledger row's status: inbound rows are ``received``; outbound ones go
    queued → sending → sent → delivered, or back to ``retry``, or ``failed``."""

    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    RETRY = "retry"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"

    @classmethod
    def pending(cls) -> tuple[MessageStatus, ...]:
        """Outbound rows not yet handed to a provider."""
        return (cls.QUEUED, cls.SENDING, cls.RETRY)

    @classmethod
    def claimable(cls) -> tuple[MessageStatus, ...]:
        """Outbound rows a sending job may claim (``sending`` is someone's already)."""
        return (cls.QUEUED, cls.RETRY)

    @classmethod
    def final(cls) -> tuple[MessageStatus, ...]:
        """No later status replaces these."""
        return (cls.DELIVERED, cls.FAILED)

    @property
    def rank(self) -> int:
        """Statuses only move up (delivery callbacks arrive out of order)."""
        return {"queued": 0, "retry": 0, "received": 0, "sending": 1, "sent": 2,
                "delivered": 3, "failed": 3}[self.value]


class EventKind(StrEnum):
    """What a report's timeline records."""

    RECEIVED = "received"
    HELD = "held"
    RELEASED = "released"
    DISMISSED = "dismissed"
    ROUTED = "routed"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    STATUS = "status"
    NOTE = "note"
    ASSIGNED = "assigned"
    ERASED = "erased"


class DeliveryStatus(StrEnum):
    """What a provider says of one outbound message; every provider status maps
    onto one of these (the adapters' tables in ``handlers``)."""

    QUEUED = "queued"  # accepted by the provider, not yet on the handset
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


class AlertKind(StrEnum):
    REPORT = "report"
    INCIDENT = "incident"


class AttachmentKind(StrEnum):
    """What a reporter's media file is (from its content type's major part)."""

    PHOTO = "photo"
    VOICE = "voice"
    VIDEO = "video"


class AttachmentStatus(StrEnum):
    PENDING = "pending"  # named by the webhook, not fetched yet
    STORED = "stored"  # fetched, checked (images stripped) and in the media store
    REFUSED = "refused"  # not fetched or not kept: the row's error says why


class AlertStatus(StrEnum):
    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"


class IncidentStatus(StrEnum):
    """Open: reports are still being grouped and nobody has looked yet;
    monitoring: a team is following it (still grouping new reports); closed:
    over, with a reason (or merged into another incident)."""

    OPEN = "open"
    MONITORING = "monitoring"
    CLOSED = "closed"

    @classmethod
    def active(cls) -> tuple[IncidentStatus, ...]:
        """Statuses under which new reports still join the incident."""
        return (cls.OPEN, cls.MONITORING)


class IncidentEventKind(StrEnum):
    """What an incident's own timeline records (its reports have theirs)."""

    LINKED = "linked"
    UNLINKED = "unlinked"
    MERGED = "merged"  # another incident's reports moved into this one
    MERGED_INTO = "merged_into"  # this one's reports moved out; it is closed
    STATUS = "status"
    CLOSED = "closed"
    NOTE = "note"


class ScriptStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Role(StrEnum):
    ADMIN = "admin"
    COUNTY_OFFICER = "county_officer"


class SharingLevel(StrEnum):
    """What a partner may receive, each level including those before it
    (the table of fields: gateway.privacy.sharing, docs/api.md)."""

    AGGREGATE = "aggregate"  # counts per county, category and week
    INCIDENT = "incident"  # incidents, without descriptions or references
    REPORT = "report"  # reports with descriptions, never the reporter

    def includes(self, other: SharingLevel) -> bool:
        order = list(SharingLevel)
        return order.index(self) >= order.index(other)
