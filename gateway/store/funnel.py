"""The dialogue funnel: for each step of a script version, how many sessions
reached it and how many stopped there, per day.

The engine emits ``{"type": "step", "step": id}`` each time a session is shown a
step.  ``record_funnel`` turns one turn's events into counters per step:

* ``starts`` (the pseudo-step ``STARTS``): a new dialogue shown its first
  step, whichever that is (a start keyword such as RIPOTI chooses the language
  and skips the language step);
* ``reached``: a session arrived at the step for the first time.  A step shown
  again (after Back, Change at the confirmation, Start again, a resumed
  unfinished, or moving forward again after any of these) is not counted again:
  the conversation passes the steps the session had already reached (``seen``);
* ``stopped``: sessions whose latest step this is.  Moving on from a step
  takes one off it and puts one on the next, so a session that times out,
  cancels or never answers stays counted where it stopped, and the end step's
  count is the number of finished reports.

Counts are per (script, version, step, day), the day being the East Africa
Time day the dialogue began (``gateway.core.localtime``): every count of one
dialogue falls on one day, even when it runs past midnight or is resumed later.
So over any period each step's ``reached`` is at most the period's ``starts``,
and "share of starts" (``FunnelRow.share_of``) is at most 100%.

Why it once showed 107% and 114%: the share was a step's ``reached`` divided by
the first step's; sessions started with a keyword never reach the language step,
Back or Change then forward counted later steps again, and a dialogue that
crossed midnight counted its later steps on another day than its start.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from redis.exceptions import ResponseError
from sqlalchemy import func, select

from gateway.core import keys, localtime
from gateway.store.models import DialogueStepCount

_SEP = "\x1f"
#: Buffered counts older than this were never flushed (no worker): drop them.
BUFFER_TTL = 7 * 86400

#: An event after which the next step shown is a revisit, not progress.
REVISIT = ("back", "restart", "resumed")
#: The pseudo-step counting dialogues started (no step id can contain "*").
STARTS = "*starts"


def step_changes(events: list[dict], before: str | None,
                 seen: frozenset[str] | set[str] = frozenset()) -> tuple[Counter, Counter]:
    """(reached, stopped) changes for one turn's events; ``before`` is the step
    the session was on before the turn (None for a new session), ``seen`` the
    steps it had reached already (not reached again).  A new dialogue's first
    step also adds one to ``reached[STARTS]``."""
    reached, stopped = Counter(), Counter()
    current, revisit = before, False
    seen = set(seen)
    for event in events:
        kind = event.get("type")
        if kind in REVISIT:
            revisit = True
            if kind == "resumed":
                current = None  # the unfinished was already counted where it stopped
            continue
        if kind != "step":
            continue
        step = event.get("step")
        if step == current:
            revisit = False
            continue
        if not revisit and step not in seen:
            if current is None and not seen:
                reached[STARTS] += 1
            reached[step] += 1
        seen.add(step)
        if current is not None:
            stopped[current] -= 1
        if current is not None or not revisit:
            stopped[step] += 1
        current, revisit = step, False
    return reached, stopped


def buffer(pipe, script, events: list[dict], *, began: datetime, before: str | None = None,
           seen: frozenset[str] | set[str] = frozenset()) -> None:
    """Add one turn's counts to a Redis pipeline (the conversation's own, so
    the counters cost no extra round trip); ``flush`` moves them to SQL.
    ``began``: when the dialogue began (its EAT day is the counts' day)."""
    reached, stopped = step_changes(events, before, seen)
    day = localtime.eat_day(began)
    key = keys.funnel(str(script.id), str(script.version), day.isoformat())
    for step in set(reached) | set(stopped):
        if reached[step]:
            pipe.hincrby(key, f"{step}{_SEP}reached", reached[step])
        if stopped[step]:
            pipe.hincrby(key, f"{step}{_SEP}stopped", stopped[step])
    pipe.expire(key, BUFFER_TTL)


def flush(svc) -> int:
    """Write the buffered counters to ``dialogue_step_counts``; returns how many
    counters were written.  Each key is renamed before it is read, so counts
    added meanwhile go to a fresh key; a key whose write failed is picked up
    again next time."""
    r = svc.redis
    written = 0
    pending = list(r.scan_iter(match=keys.funnel("*", "*", "*") + keys.FLUSHING + "*"))
    for key in r.scan_iter(match=keys.funnel("*", "*", "*")):
        name = key.decode()
        if keys.FLUSHING in name:
            continue
        target = f"{name}{keys.FLUSHING}{uuid.uuid4().hex[:8]}"
        try:
            r.rename(name, target)
        except ResponseError:  # flushed by someone else meanwhile
            continue
        pending.append(target.encode())
    for key in pending:
        name = key.decode()
        script_id, version, day = name.split(keys.FLUSHING)[0].split(":")[-3:]
        counts: dict[str, dict[str, int]] = {}
        for field, value in r.hgetall(name).items():
            step, kind = field.decode().rsplit(_SEP, 1)
            counts.setdefault(step, {"reached": 0, "stopped": 0})[kind] = int(value)
        with svc.db() as db:
            for step, c in counts.items():
                _add(db, script_id, version, step, date.fromisoformat(day), c["reached"],
                     c["stopped"])
                written += 1
            db.commit()
        r.delete(name)
    return written


def _add(db, script_id, version, step, day, reached, stopped) -> None:
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = DialogueStepCount.__table__
    statement = insert(table).values(
        script_id=script_id, version=version, step=step, day=day, reached=reached,
        stopped=stopped,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["script_id", "version", "step", "day"],
        set_={"reached": table.c.reached + reached, "stopped": table.c.stopped + stopped},
    )
    db.execute(statement)


@dataclass(frozen=True)
class FunnelRow:
    step: str
    kind: str
    reached: int
    stopped: int

    def share_of(self, starts: int) -> int:
        """Percent of the dialogues started that reached this step (0–100).
        Capped at 100 only for counts recorded before ``STARTS`` existed."""
        return min(100, round(100 * self.reached / starts)) if starts else 0


def starts(db, script, since: date, until: date) -> int:
    """Dialogues of ``script``'s version that began between the two EAT days."""
    total = db.scalar(
        select(func.sum(DialogueStepCount.reached))
        .where(DialogueStepCount.script_id == str(script.id),
               DialogueStepCount.version == str(script.version),
               DialogueStepCount.step == STARTS,
               DialogueStepCount.day >= since, DialogueStepCount.day <= until))
    return int(total or 0)


def funnel(db, script, since: date, until: date) -> list[FunnelRow]:
    """One row per step of ``script``, in script order, summed over the days."""
    rows = db.execute(
        select(DialogueStepCount.step, func.sum(DialogueStepCount.reached),
               func.sum(DialogueStepCount.stopped))
        .where(DialogueStepCount.script_id == str(script.id),
               DialogueStepCount.version == str(script.version),
               DialogueStepCount.day >= since, DialogueStepCount.day <= until)
        .group_by(DialogueStepCount.step)
    ).all()
    totals = {step: (int(r or 0), int(s or 0)) for step, r, s in rows}
    return [
        FunnelRow(sid, step.kind, totals.get(sid, (0, 0))[0], max(totals.get(sid, (0, 0))[1], 0))
        for sid, step in script.steps.items()
    ]
