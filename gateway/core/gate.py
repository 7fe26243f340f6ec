"""A live dialogue's screen in two Redis round trips.

A USSD screen (or a call's turn) used to cost eight: the rate-limit pipeline,
the lock, the session read, the unfinished and language read, the session
save, the lock's release and two metric commands, plus a SQL ledger write.
Now:

1. ``enter`` (one Lua script): count the message against the sender's limit
   (the ``gateway.core.ratelimit`` sliding window, same key and rules), take
   the conversation's lock and read its session, or, when there is none, the
   phone's unfinished dialogue and remembered language;
2. ``Exit`` (one ``MULTI``): the session save, the funnel and metric
   counters, the ledger rows (``gateway.store.ledger_stream``) and the lock's
   release, queued by whoever needs them and sent at once.

A message that finds the conversation busy (the same session's previous
request still running) waits for the lock as before, with one more round
trip per try.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from redis.exceptions import LockError, NoScriptError

from gateway.core import keys, ratelimit

_ENTER = """
local count = -1
if ARGV[1] == '1' then
  local now = tonumber(ARGV[2])
  local window = tonumber(ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - window)
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  count = redis.call('ZCARD', KEYS[1])
  redis.call('EXPIRE', KEYS[1], math.max(1, math.floor(window)))
  if count > tonumber(ARGV[4]) then
    return {count, 0, false, false, false}
  end
end
if not redis.call('SET', KEYS[2], ARGV[6], 'NX', 'PX', ARGV[7])
    and redis.call('GET', KEYS[2]) ~= ARGV[6] then
  -- held by another request (ours already, when the script was sent again
  -- after a lost reply, counts as taken)
  return {count, 0, false, false, false}
end
local session = redis.call('GET', KEYS[3])
if session then
  return {count, 1, session, false, false}
end
return {count, 1, false, redis.call('GET', KEYS[4]), redis.call('GET', KEYS[5])}
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass
class Entered:
    """What ``enter`` found."""

    within_limit: bool
    locked: bool
    token: str
    lock_key: str
    session: bytes | None = None
    unfinished: bytes | None = None
    language: str | None = None


class Gate:
    def __init__(self, redis):
        self._enter = redis.register_script(_ENTER)
        self._release = redis.register_script(_RELEASE)

    def enter(self, *, subject: str, lock_key: str, session_key: str, rate: ratelimit.Event,
              limit: int | None, window: float, lock_seconds: float) -> Entered:
        """One round trip: ``rate`` is counted (unless ``limit`` is ``None``),
        the lock taken, the reads done; ``subject`` is the phone's keyed hash.
        When the lock is held elsewhere, waits for it up to ``lock_seconds``
        (the event is counted once); ``LockError`` after that."""
        token = uuid.uuid4().hex
        read_keys = [rate.key, lock_key, session_key, keys.unfinished(subject),
                     keys.language(subject)]
        count = limit is not None
        deadline = time.monotonic() + lock_seconds
        while True:
            result = self._enter(keys=read_keys, args=[
                "1" if count else "0", rate.now, window, limit or 0, rate.member, token,
                int(lock_seconds * 1000)])
            counted, locked, session, unfinished, language = result
            if count and int(counted) > (limit or 0):
                return Entered(False, False, token, lock_key)
            if locked:
                if isinstance(language, bytes):
                    language = language.decode()
                return Entered(True, True, token, lock_key, session, unfinished, language)
            count = False  # counted once; now only waiting for the lock
            if time.monotonic() >= deadline:
                raise LockError("conversation busy")
            time.sleep(0.05)

    def release(self, pipe, entered: Entered) -> None:
        """Queue the lock's release (only if still ours) on ``pipe``: a bare
        ``EVALSHA`` (redis-py would ask ``SCRIPT EXISTS`` first, a round trip
        more); ``execute`` sees to a script the server does not know yet."""
        pipe.evalsha(self._release.sha, 1, entered.lock_key, entered.token)

    def execute(self, pipe, entered: Entered | None) -> list:
        """Send the ``MULTI``.  Its other commands ran even when the release's
        script was unknown (a restarted Redis): the lock is then released
        with the script loaded."""
        results = pipe.execute(raise_on_error=False)
        errors = [r for r in results if isinstance(r, Exception)]
        if entered is not None and any(isinstance(e, NoScriptError) for e in errors):
            self.release_now(entered)
            errors = [e for e in errors if not isinstance(e, NoScriptError)]
        if errors:
            raise errors[0]
        return results

    def release_now(self, entered: Entered) -> None:
        self._release(keys=[entered.lock_key], args=[entered.token])
