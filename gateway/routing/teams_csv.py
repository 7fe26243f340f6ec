"""Teams and members as CSV, one row per member:

    team,tier,counties,language,member,phone,channel,active
    Turkana county team,county,turkana,eng,Jane Ekai,0712345678,sms,yes

``counties`` is separated by ``;`` (empty for the national desk).  Every row is
validated first; one bad row imports nothing, and each bad row is reported by
its line number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select

from gateway.errors import InvalidPhone
from gateway.store.models import Team, TeamMember
from gateway.vocab import MEMBER_CHANNELS, Tier
from handlers.phones import normalise_phone

COLUMNS = ["team", "tier", "counties", "language", "member", "phone", "channel", "active"]
TIERS = tuple(Tier)
CHANNELS = MEMBER_CHANNELS
YES = {"yes", "y", "true", "1", ""}
NO = {"no", "n", "false", "0"}


@dataclass
class ImportResult:
    errors: list[str] = field(default_factory=list)
    teams: int = 0
    members: int = 0


def _validate(rows) -> tuple[list[dict], list[str]]:
    clean, errors = [], []
    for line, row in rows:
        problems = []
        name = (row.get("team") or "").strip()
        tier = (row.get("tier") or "county").strip().lower()
        channel = (row.get("channel") or "sms").strip().lower()
        active = (row.get("active") or "").strip().lower()
        if not name:
            problems.append("team name is empty")
        if tier not in TIERS:
            problems.append(f"tier {tier!r} is not one of {', '.join(TIERS)}")
        if channel not in CHANNELS:
            problems.append(f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
        if active not in YES | NO:
            problems.append(f"active {active!r} is not yes or no")
        if not (row.get("member") or "").strip():
            problems.append("member name is empty")
        try:
            phone = normalise_phone(row.get("phone"), strict=True)
        except InvalidPhone as exc:
            problems.append(str(exc))
            phone = None
        if problems:
            errors.append(f"line {line}: " + "; ".join(problems))
            continue
        clean.append({
            "team": name, "tier": tier, "language": (row.get("language") or "eng").strip(),
            "counties": [c.strip().lower() for c in (row.get("counties") or "").split(";") if c.strip()],
            "member": row["member"].strip(), "phone": phone, "channel": channel,
            "active": active not in NO,
        })
    return clean, errors


def import_csv(db, text: str, progress=iter) -> ImportResult:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("team", "member", "phone") if c not in (reader.fieldnames or [])]
    if missing:
        return ImportResult(errors=[f"line 1: missing column(s): {', '.join(missing)}"])
    rows = [(reader.line_num, row) for row in reader]
    clean, errors = _validate(rows)
    if errors:
        return ImportResult(errors=errors)
    result = ImportResult()
    teams: dict[str, Team] = {}
    for row in progress(clean):
        team = teams.get(row["team"]) or db.scalar(select(Team).where(Team.name == row["team"]))
        if team is None:
            team = Team(name=row["team"], tier=row["tier"], counties=row["counties"],
                        language=row["language"])
            db.add(team)
            result.teams += 1
        else:
            team.tier, team.counties, team.language = row["tier"], row["counties"], row["language"]
        teams[row["team"]] = team
        member = next((m for m in team.members if m.phone == row["phone"]), None)
        if member is None:
            member = TeamMember(phone=row["phone"], name=row["member"])
            team.members.append(member)
        member.name, member.channel, member.active = row["member"], row["channel"], row["active"]
        result.members += 1
    db.commit()
    return result


def export_csv(db, progress=iter) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for team in progress(db.scalars(select(Team).order_by(Team.id)).all()):
        for m in team.members:
            writer.writerow([team.name, team.tier, ";".join(team.counties or []), team.language,
                             m.name, m.phone, m.channel, "yes" if m.active else "no"])
    return out.getvalue()
