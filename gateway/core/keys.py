"""Every Redis key name Mpaka uses, in one place (as RQ does with ``key_for``).

Phone numbers never appear in a key: callers pass the keyed hash from
``Services.protector.phone_hash`` (``gateway.core.protector``).
"""

PREFIX = "mpaka:"


def session(channel: str, conversation: str) -> str:
    """A live dialogue session: the USSD ``sessionId`` or the phone's keyed hash."""
    return f"{PREFIX}session:{channel}:{conversation}"


def live_conversation(session_id: str, phone_hash: str) -> str:
    """A USSD session or a call: the provider's ``sessionId`` tied to the keyed
    hash of the phone that started it, so that the same id sent with another
    number is another conversation (never the first caller's answers)."""
    return f"{session_id}:{phone_hash}"


def session_lock(channel: str, conversation: str) -> str:
    return f"{PREFIX}lock:session:{channel}:{conversation}"


def unfinished(phone_hash: str) -> str:
    """An unfinished dialogue that may be resumed on any channel.  (The key
    keeps its v1 name, so dialogues left unfinished survive an upgrade.)"""
    return f"{PREFIX}draft:{phone_hash}"


def language(phone_hash: str) -> str:
    """The language a phone last chose, offered first next time (expires with
    ``RETENTION_DAYS``; erased by ``mpaka reporter forget``)."""
    return f"{PREFIX}lang:{phone_hash}"


def dedupe(provider: str, message_id: str) -> str:
    """Marks a provider message id as seen (AT retries a callback until it gets a 200)."""
    return f"{PREFIX}dedupe:{provider}:{message_id}"


def live_script(script_id: str) -> str:
    """The id of the live version of a dialogue script."""
    return f"{PREFIX}script:live:{script_id}"


def script_body(script_id: str, version: str) -> str:
    """The YAML of a script version, so dialogues under way survive a database outage."""
    return f"{PREFIX}script:body:{script_id}:{version}"


#: Reports completed while the database was unreachable, by reference.
PENDING_REPORTS = f"{PREFIX}reports:pending"


def incident_lock(group: str) -> str:
    """Serialises incident grouping for one category × sub-county."""
    return f"{PREFIX}lock:incident:{group}"


def console_session(sid: str) -> str:
    """A console login, by its random id (in the signed cookie): deleted at
    logout, so a copied cookie stops working."""
    return f"{PREFIX}console-session:{sid}"


def login_wait(subject: str) -> str:
    """Set while an address (or an account from one address) must wait before
    its next login attempt."""
    return f"{PREFIX}login:wait:{subject.casefold()}"


def metric(name: str) -> str:
    """A cluster-wide counter (hash: label values -> count), see ``gateway.ops.metrics``."""
    return f"{PREFIX}metrics:{name}"


def rate(kind: str, subject: str) -> str:
    """A sliding window (sorted set of timestamps) per limit kind and subject
    (a phone's keyed hash or a username)."""
    return f"{PREFIX}rate:{kind}:{subject}"


def rate_notified(kind: str, subject: str) -> str:
    """Set once the subject was told it is over the limit: then silence."""
    return f"{PREFIX}rate-notified:{kind}:{subject}"


def loop_guard(phone_hash: str, text_digest: str) -> str:
    """The same text from the same sender within seconds: a looping phone or bot."""
    return f"{PREFIX}loop:{phone_hash}:{text_digest}"


#: Suffix of a funnel key being written to SQL.
FLUSHING = ":flushing:"


def funnel(script_id: str, version: str, day: str) -> str:
    """Funnel counters of one script version and UTC day, waiting for the sweep."""
    return f"{PREFIX}funnel:{script_id}:{version}:{day}"


#: The ledger's inbound stream: rows appended with a dialogue's session save,
#: written to SQL in batches by the workers (``gateway.store.ledger_stream``).
LEDGER_STREAM = f"{PREFIX}ledger:stream"
#: The consumer group that writes ``LEDGER_STREAM`` to SQL.
LEDGER_GROUP = "ledger-writers"
#: Held by the worker that writes a batch, so batches land in stream order.
LEDGER_LOCK = f"{PREFIX}lock:ledger"
