"""What every console page shares: the request's database session, the
blueprint factory with its server-side checks, security headers, the audit
log and small display helpers."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from gateway.accounts import auth
from gateway.core import localtime
from gateway.core.services import current_services
from gateway.store import queries, script_versions
from gateway.store.models import AuditEntry
from gateway.web import bandwidth
from gateway.web.context import db, vocabulary

csrf = None  # set by init_app
CONSOLE_BLUEPRINTS = set()
PUBLIC_ENDPOINTS = {"auth.login"}
PAGE_SIZE = 50

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: Labels of the vocabulary's values (gateway.vocab) that capitalising gets
#: wrong.  Categories, places and languages are labelled by the live script.
LABELS = {
    "false_alarm": "False alarm", "county_officer": "County officer",
    "ussd": "USSD", "sms": "SMS", "whatsapp": "WhatsApp",
}


def label(value) -> str:
    """How a stored value reads: the live script's label, else the shipped
    script's (a value a newer version dropped keeps its gazetteer name, so
    "Turkana West" never turns into "Turkana west"), else the id made readable."""
    if value is None or value == "":
        return "–"
    text = str(value)
    return (LABELS.get(text) or vocabulary().label(text) or _shipped_vocabulary().label(text)
            or text.replace("_", " ").capitalize())


@cache
def _shipped_vocabulary():
    return script_versions.shipped_vocabulary()


def actor_label(actor: str | None, name: str | None = None) -> str:
    """Who did something, named as everywhere (``queries.actor_name``)."""
    return queries.actor_name(db(), actor, name)


def load_user(user_id: str):
    """The logged-in user, only while the login's server-side session is open."""
    user = auth.load_user(db(), user_id)
    if user is None or not auth.session_valid(current_services(), session.get("sid"), user.id):
        return None
    return user


def console_blueprint(name: str, url_prefix: str = "/console", *, admin_only: bool = False):
    bp = Blueprint(name, __name__, url_prefix=url_prefix)
    CONSOLE_BLUEPRINTS.add(name)

    @bp.before_request
    def _checks():
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if admin_only and not current_user.is_admin:
            abort(403, "This page is for admins.")
        return None

    bp.register_error_handler(403, _error_page)
    bp.register_error_handler(404, _error_page)
    bp.register_error_handler(400, _error_page)
    bp.register_error_handler(413, _too_large)
    bp.register_error_handler(CSRFError, csrf_error)
    return bp


def _error_page(exc):
    titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 413: "Too large"}
    message = exc.description if isinstance(exc.description, str) else ""
    return render_template("console/error.html", title=titles.get(exc.code, "Error"),
                           message=message), exc.code


def _too_large(exc):
    limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return render_template(
        "console/error.html", title="Too large",
        message=f"What you sent is larger than this page accepts ({limit // 1024} KB). "
                "Go back and shorten it."), 413


def csrf_error(exc):
    message = ("The form could not be checked (it expired or did not come from this site). "
               "Go back, reload the page and try again.")
    return render_template("console/error.html", title="Form not accepted",
                           message=message), 400


def security_headers(response):
    if request.blueprint in CONSOLE_BLUEPRINTS or request.endpoint in ("static", "console_home"):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.blueprint in CONSOLE_BLUEPRINTS:
            response.headers.setdefault("Cache-Control", "no-store")
    return response


def static_url(filename: str) -> str:
    """The file's URL with its content hash (``gateway.web.bandwidth``)."""
    return bandwidth.static_url(filename)


def audit(action: str, target: str | None = None, **detail) -> None:
    """Add an audit entry for the current user and address (the caller commits)."""
    actor = current_user.username if current_user.is_authenticated else detail.pop("actor", None)
    db().add(AuditEntry(actor=actor, action=action, target=target, detail=detail,
                        address=(request.remote_addr or "")[:64]))


def now() -> datetime:
    return current_services().clock.now()


def ago(value: datetime | None, reference: datetime | None = None) -> str:
    """'5 min', '3 h', '2 days' between ``value`` and now."""
    if value is None:
        return "–"
    seconds = max(0, int(((reference or now()) - value).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def format_time(value: datetime | str | None) -> str:
    """East Africa Time, ``30 Nov 2026 20:25`` (``gateway.core.localtime``);
    also of an ISO 8601 string (the ledger's rows)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return localtime.display(value)


def input_day(value: date | datetime | None) -> str:
    """A filter's day for an ``<input type=date>``: its EAT calendar day."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return localtime.eat_day(value).isoformat()
    return value.isoformat()


#: No list has more pages than this; a larger number is taken as the last page.
MAX_PAGE = 100_000


def page_number() -> int:
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page", "1"))))
    except ValueError:
        return 1


def args_without(name: str) -> dict:
    """The query arguments without ``name`` (for pagination links)."""
    return {k: v for k, v in request.args.items() if k != name and v}
