"""The CAP feed for early-warning systems: ``/feeds/cap.atom`` (Atom 1.0, one
entry per CAP message, newest first) and ``/feeds/cap/<identifier>.xml`` (one
OASIS CAP 1.2 message, built by ``gateway.routing.cap``).

Readable with an API bearer token (a county officer's token sees their
counties' incidents only, as in the API) or from an address in
``CAP_FEED_ALLOW`` (the client's address as ``TRUSTED_PROXY_ADDRESSES``
resolves it).  Documented in docs/api.md ("CAP feed").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, abort, current_app, request, url_for
from sqlalchemy import or_, select

from gateway.accounts import tokens
from gateway.core.services import current_services
from gateway.ops import logs
from gateway.routing import cap, incidents
from gateway.store import script_versions
from gateway.store.models import Incident, Report
from gateway.store.queries import Scope
from gateway.vocab import IncidentStatus, Severity
from gateway.web.context import db, vocabulary
from gateway.web.proxies import address_allowed

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

ATOM = "http://www.w3.org/2005/Atom"
#: At most this many incidents (and as many single reports) are read for the feed.
MAX_INCIDENTS = 200


class Unauthorized(Exception):
    pass


def reader_scope() -> Scope:
    """The token user's scope; everything for an allowed address; else 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        user = tokens.authenticate(db(), token.strip(), now=current_services().clock.now())
        if user is not None:
            logs.bind(user=user.username)
            return Scope.for_user(user)
    if address_allowed(request.remote_addr, current_app.config.get("CAP_FEED_ALLOW") or []):
        return Scope(True, frozenset(), "cap-feed-allow")
    raise Unauthorized


@bp.errorhandler(Unauthorized)
def _unauthorized(_exc):
    return Response("Send 'Authorization: Bearer <token>' (an API token) or read from an "
                    "address in CAP_FEED_ALLOW.\n", status=401, mimetype="text/plain",
                    headers={"WWW-Authenticate": 'Bearer realm="mpaka"',
                             "Cache-Control": "no-store"})


def context() -> cap.Context:
    script = script_versions.live_or_shipped_script(current_services())
    return cap.Context(config=dict(current_app.config), vocabulary=vocabulary(), script=script)


def _since(now: datetime) -> datetime:
    return now - timedelta(days=int(current_app.config.get("CAP_FEED_DAYS") or 7))


def incident_messages(ctx: cap.Context, incident: Incident, now: datetime) -> list[cap.CapMessage]:
    window, _threshold = incidents.policy(db(), current_app.config, incident.category)
    return cap.incident_messages(ctx, db(), incident, window=window, now=now)


def messages(scope: Scope, now: datetime) -> list[cap.CapMessage]:
    """Every message of the incidents (and reports) active in the last days, newest first."""
    ctx = context()
    found: list[cap.CapMessage] = []
    query = scope.incidents(select(Incident)).where(
        or_(Incident.status == IncidentStatus.OPEN, Incident.last_report_at >= _since(now)),
        Incident.alerted_count > 0,
    ).order_by(Incident.id.desc()).limit(MAX_INCIDENTS)
    for incident in db().scalars(query):
        found.extend(incident_messages(ctx, incident, now))
    if current_app.config.get("CAP_SINGLE_HIGH_SEVERITY"):
        reports = scope.reports(select(Report)).where(
            Report.severity == Severity.HIGH, Report.created_at >= _since(now),
        ).order_by(Report.id.desc()).limit(MAX_INCIDENTS)
        found.extend(cap.report_message(ctx, r) for r in db().scalars(reports)
                     if cap.report_publishable(current_app.config, r))
    return sorted(found, key=lambda m: (m.sent, m.identifier), reverse=True)


def _xml(body: bytes, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Cache-Control": "no-store"})


@bp.get("/cap.atom")
def cap_atom():
    scope = reader_scope()
    now = current_services().clock.now()
    found = messages(scope, now)
    ET.register_namespace("", ATOM)

    def add(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
        if text is not None:
            node.text = text
        return node

    feed = ET.Element(f"{{{ATOM}}}feed")
    add(feed, "id", url_for("feeds.cap_atom", _external=True))
    add(feed, "title", "Mpaka early-warning incidents (CAP 1.2)")
    add(feed, "updated", cap.cap_time(found[0].sent if found else now))
    add(feed, "link", rel="self", href=url_for("feeds.cap_atom", _external=True))
    author = add(feed, "author")
    add(author, "name", current_app.config.get("CAP_SENDER") or "mpaka@localhost")
    for message in found:
        href = url_for("feeds.cap_message", identifier=message.identifier, _external=True)
        entry = add(feed, "entry")
        add(entry, "id", href)
        add(entry, "title", message.headline)
        add(entry, "updated", cap.cap_time(message.sent))
        add(entry, "summary", f"{message.msg_type}: {message.headline}")
        add(entry, "link", rel="alternate", type=cap.CONTENT_TYPE, href=href)
        add(entry, "category", term=message.msg_type)
    return _xml(ET.tostring(feed, encoding="utf-8", xml_declaration=True), "application/atom+xml")


def find(scope: Scope, identifier: str, now: datetime) -> cap.CapMessage | None:
    """The message ``identifier`` names, if this reader may see it."""
    sender = str(current_app.config.get("CAP_SENDER") or "mpaka@localhost")
    if not identifier.startswith(sender + "."):
        return None
    parts = identifier[len(sender) + 1:].split(".")
    ctx = context()
    if len(parts) == 3 and parts[0] == "incident" and parts[1].isdigit() and parts[2].isdigit():
        incident = db().get(Incident, int(parts[1])) if int(parts[1]) < 2**31 else None
        if incident is None or not scope.may_see_county(incident.county):
            return None
        found = incident_messages(ctx, incident, now)
        n = int(parts[2])
        return found[n - 1] if 1 <= n <= len(found) else None
    if len(parts) == 2 and parts[0] == "report" and parts[1].isdigit():
        report = db().get(Report, int(parts[1])) if int(parts[1]) < 2**31 else None
        if (report is None or not scope.may_see_county(report.county)
                or not cap.report_publishable(current_app.config, report)):
            return None
        return cap.report_message(ctx, report)
    return None


@bp.get("/cap/<identifier>.xml")
def cap_message(identifier: str):
    scope = reader_scope()
    message = find(scope, identifier, current_services().clock.now())
    if message is None:
        abort(404)
    return _xml(message.to_xml(), cap.CONTENT_TYPE)
