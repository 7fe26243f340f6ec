"""Console users: password hashing, login with throttling, and who may do what.

Passwords are hashed with werkzeug's scrypt (as the seed does).  Failed logins
slow the guesser down without letting anyone lock another person out:

* per **address**: after ``SLOW_AFTER`` failures from one address, each further
  attempt from it must wait (1, 2, 4 ... up to 60 seconds); after
  ``ADDRESS_BLOCK_AFTER`` within ``WINDOW_SECONDS`` that address may not try
  again until the window has passed;
* per **account**: after ``ACCOUNT_SLOW_AFTER`` failures from anywhere, every
  address must leave ``ACCOUNT_DELAY_SECONDS`` between its attempts on that
  account, so guessing from many addresses stays slow; the right password is
  still accepted (never a hard lock that a stranger can trigger).

A successful login clears its address's and its account's failures.

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
WINDOW_SECONDS = 15 * 60
SLOW_AFTER = 3  # failures from one address before each attempt must wait
MAX_WAIT_SECONDS = 60
ADDRESS_BLOCK_AFTER = 20  # failures from one address before it may not try at all
ACCOUNT_SLOW_AFTER = 10  # failures on one account before every address is slowed down
ACCOUNT_DELAY_SECONDS = 5
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
    reason: str = "ok"  # ok | bad_credentials | wait | blocked
    #: Whether this attempt deserves an audit row: the first failure of a
    #: username from an address in the window, and every throttle; not each guess.
    audit: bool = True


def authenticate(svc, db, username: str, password: str, address: str = "") -> LoginResult:
    username = (username or "").strip()
    account, origin = username.casefold(), address or "unknown"
    limiter, r = svc.limiter, svc.redis
    if limiter.count(ratelimit.LOGIN_ADDRESS, origin, window=WINDOW_SECONDS) >= ADDRESS_BLOCK_AFTER:
        seconds = limiter.retry_after(ratelimit.LOGIN_ADDRESS, origin, limit=ADDRESS_BLOCK_AFTER,
                                      window=WINDOW_SECONDS)
        return LoginResult(error="Too many failed attempts from this network. Try again in about "
                           f"{max(1, round(seconds / 60))} minutes.", reason="blocked",
                           audit=limiter.first_notice(ratelimit.LOGIN_ADDRESS, origin,
                                                      window=WINDOW_SECONDS))
    for key in (keys.login_wait(origin), keys.login_wait(f"{account}@{origin}")):
        wait = r.ttl(key)
        if wait and wait > 0:
            return LoginResult(error=f"Too many failed attempts. Wait {wait} seconds and try again.",
                               reason="wait", audit=False)
    row = db.scalar(select(User).where(func.lower(User.username) == account))
    valid = check_password_hash(row.password_hash if row else _DUMMY_HASH, password or "")
    if row is None or not valid or not row.active:
        first = _fail(svc, account, origin)
        return LoginResult(error="Wrong username or password.", reason="bad_credentials",
                           audit=first)
    unlock(svc, username)
    limiter.clear(ratelimit.LOGIN_ADDRESS, origin)
    r.delete(keys.login_wait(origin))
    return LoginResult(user=ConsoleUser.from_row(row))


def _fail(svc, account: str, origin: str) -> bool:
    """Count one failure; set the waits.  True for the first failure of this
    account from this address in the window (the one worth an audit row)."""
    limiter, r = svc.limiter, svc.redis
    limiter.hit(ratelimit.LOGIN_ADDRESS, origin, limit=ADDRESS_BLOCK_AFTER, window=WINDOW_SECONDS)
    limiter.hit(ratelimit.LOGIN_FAILURES, account, limit=ACCOUNT_SLOW_AFTER, window=WINDOW_SECONDS)
    from_address = limiter.count(ratelimit.LOGIN_ADDRESS, origin, window=WINDOW_SECONDS)
    if from_address >= SLOW_AFTER:
        r.set(keys.login_wait(origin), "1",
              ex=min(2 ** (from_address - SLOW_AFTER), MAX_WAIT_SECONDS))
    if limiter.count(ratelimit.LOGIN_FAILURES, account, window=WINDOW_SECONDS) >= ACCOUNT_SLOW_AFTER:
        r.set(keys.login_wait(f"{account}@{origin}"), "1", ex=ACCOUNT_DELAY_SECONDS)
    return limiter.first_notice(ratelimit.LOGIN_FAILURES, f"{account}@{origin}",
                                window=WINDOW_SECONDS)


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
    """Forget an account's failures (an admin's action, or a successful login)."""
    svc.limiter.clear(ratelimit.LOGIN_FAILURES, username.casefold())


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
