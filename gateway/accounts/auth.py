"""Console users: password hashing, login with throttling, and who may do what.

Passwords are hashed with werkzeug's scrypt (as the seed does).  Failed
logins are counted per username in Redis: after ``SLOW_AFTER`` failures each
further attempt must wait (1, 2, 4 ... up to 60 seconds), and after
``LOCK_AFTER`` failures the username is locked for ``LOCK_SECONDS``, even for
the right password.  A successful login clears the count.

A logged-in user is carried by ``ConsoleUser``: a plain snapshot of the row,
reloaded on every request, whose id includes a fragment of the password hash
so that changing a password ends every other session.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from flask_login import UserMixin
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.core import keys, ratelimit
from gateway.store.models import User
from gateway.store.queries import Scope
from gateway.store.script_versions import shipped_vocabulary
from gateway.vocab import Role

ROLES = tuple(Role)
SLOW_AFTER = 3
LOCK_AFTER = 10
LOCK_SECONDS = 15 * 60
MAX_WAIT_SECONDS = 60
MIN_PASSWORD_LENGTH = 10
#: Checked against when the username is unknown, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def password_problem(password: str, username: str = "") -> str | None:
    """A plain sentence saying what is wrong with a new password, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if username and username.casefold() in password.casefold():
        return "Do not include your username in the password."
    return None


@dataclass(frozen=True)
class ConsoleUser(UserMixin):
    id: int
    username: str
    role: str
    counties: tuple
    token: str  # a fragment of the password hash: see get_id

    @classmethod
    def from_row(cls, row: User) -> ConsoleUser:
        return cls(row.id, row.username, row.role, tuple(row.counties or ()),
                   row.password_hash[-12:])

    def get_id(self) -> str:
        return f"{self.id}:{self.token}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def scope(self) -> Scope:
        return Scope(self.is_admin, frozenset(self.counties), self.username)


def load_user(db, user_id: str) -> ConsoleUser | None:
    """Flask-Login's loader: the active user whose password has not changed since."""
    ident, _, token = (user_id or "").partition(":")
    if not ident.isdigit():
        return None
    row = db.get(User, int(ident))
    if row is None or not row.active or not hmac.compare_digest(row.password_hash[-12:], token):
        return None
    return ConsoleUser.from_row(row)


@dataclass(frozen=True)
class LoginResult:
    user: ConsoleUser | None = None
    error: str | None = None  # a plain sentence for the login page
    reason: str = "ok"  # ok | bad_credentials | wait | locked


def authenticate(svc, db, username: str, password: str) -> LoginResult:
    username = (username or "").strip()
    r, limiter, subject = svc.redis, svc.limiter, username.casefold()
    failures = limiter.count(ratelimit.LOGIN_FAILURES, subject, window=LOCK_SECONDS)
    if failures >= LOCK_AFTER:
        seconds = limiter.retry_after(ratelimit.LOGIN_FAILURES, subject, limit=LOCK_AFTER,
                                      window=LOCK_SECONDS)
        minutes = max(1, round(seconds / 60))
        return LoginResult(error=f"Too many failed attempts. This account is locked; try again "
                           f"in about {minutes} minutes or ask an admin.", reason="locked")
    wait = r.ttl(keys.login_wait(username))
    if wait and wait > 0:
        return LoginResult(error=f"Too many failed attempts. Wait {wait} seconds and try again.",
                           reason="wait")
    row = db.scalar(select(User).where(func.lower(User.username) == username.casefold()))
    valid = check_password_hash(row.password_hash if row else _DUMMY_HASH, password or "")
    if row is None or not valid or not row.active:
        _fail(svc, username, failures + 1)
        return LoginResult(error="Wrong username or password.", reason="bad_credentials")
    unlock(svc, username)
    return LoginResult(user=ConsoleUser.from_row(row))


def _fail(svc, username: str, failures: int) -> None:
    svc.limiter.hit(ratelimit.LOGIN_FAILURES, username.casefold(), limit=LOCK_AFTER,
                    window=LOCK_SECONDS)
    if failures >= SLOW_AFTER:
        wait = min(2 ** (failures - SLOW_AFTER), MAX_WAIT_SECONDS)
        svc.redis.set(keys.login_wait(username), "1", ex=wait)


#: A console login lasts this long without use (each request renews it).
CONSOLE_SESSION_SECONDS = 12 * 3600


def start_session(svc, user_id: int) -> str:
    """A server-side record of one login; its id goes into the signed cookie."""
    sid = secrets.token_urlsafe(24)
    svc.redis.set(keys.console_session(sid), str(user_id), ex=CONSOLE_SESSION_SECONDS)
    return sid


def session_valid(svc, sid: str | None, user_id: int) -> bool:
    """Whether the login ``sid`` is still open for ``user_id`` (renewing it)."""
    if not sid:
        return False
    key = keys.console_session(sid)
    pipe = svc.redis.pipeline()
    pipe.get(key)
    pipe.expire(key, CONSOLE_SESSION_SECONDS)
    owner, _ = pipe.execute()
    return owner is not None and owner.decode() == str(user_id)


def end_session(svc, sid: str | None) -> None:
    if sid:
        svc.redis.delete(keys.console_session(sid))


def unlock(svc, username: str) -> None:
    svc.limiter.clear(ratelimit.LOGIN_FAILURES, username.casefold())
    svc.redis.delete(keys.login_wait(username))


def create_user(db, username: str, password: str, role: str, counties=(),
                known_counties=None) -> User:
    """Validate and add a user (the caller commits); ValueError says what is wrong.
    ``known_counties``: the live script's (the shipped script's by default)."""
    known_counties = known_counties or shipped_vocabulary().counties
    username = (username or "").strip()
    counties = sorted({c.strip().lower() for c in counties if c and c.strip()})
    if not username or len(username) > 64 or not username.replace("-", "").replace(
            "_", "").replace(".", "").isalnum():
        raise ValueError("A username is 1-64 letters, digits, dots, dashes or underscores.")
    if role not in ROLES:
        raise ValueError(f"The role must be one of: {', '.join(ROLES)}.")
    unknown = [c for c in counties if c not in known_counties]
    if unknown:
        raise ValueError(f"Unknown county: {', '.join(unknown)}.")
    if role == "county_officer" and not counties:
        raise ValueError("A county officer needs at least one county.")
    problem = password_problem(password, username)
    if problem:
        raise ValueError(problem)
    if db.scalar(select(User.id).where(func.lower(User.username) == username.casefold())):
        raise ValueError(f"The username {username} is taken.")
    row = User(username=username, password_hash=hash_password(password), role=role,
               counties=counties if role == "county_officer" else [], active=True)
    db.add(row)
    return row
