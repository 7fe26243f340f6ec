"""Enabling a county (``mpaka counties enable wajir``, the console's Counties
page): its constituencies join the script's gazetteer as a new draft version,
and a county team and routing rule are created as a disabled skeleton for an
admin to fill in and switch on.

The draft is the live script with a ``lists:`` block (see
docs/dialogue-scripts.md, "Enabled counties") naming the county and its
sub-counties, codes from ``gateway.defaults.kenya``.  The linter runs on it
first: a draft whose screens no longer fit (the county menu grown past a USSD
page) or with any other error is refused and nothing is stored.  Until the
draft is published, reports from the county arrive through "Other county" and
go to the national desk, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from sqlalchemy import select

from gateway.defaults import gazetteer_text, kenya
from gateway.dialogue import lint_script
from gateway.dialogue.issues import LintIssue
from gateway.errors import MpakaError
from gateway.store import script_versions
from gateway.store.models import RoutingRule, ScriptVersion, Team
from gateway.vocab import Tier


class CountyError(MpakaError):
    """The county cannot be enabled (unknown, already enabled, or the draft has errors)."""

    def __init__(self, message: str, issues: list[LintIssue] | None = None):
        super().__init__(message)
        self.issues = issues or []


@dataclass
class Enabled:
    county: kenya.County
    draft: ScriptVersion
    warnings: list[LintIssue] = field(default_factory=list)
    team: Team | None = None  # the skeleton created; None when a team already covered it
    rule: RoutingRule | None = None


def listed_counties(script) -> set[str]:
    """The counties the script shows in its menu (the enabled ones)."""
    gaz = script.lists.get("counties")
    return set(gaz.names) if gaz is not None else set()


_LISTS_BLOCK = re.compile(r"^lists:[^\n]*\n(?:(?:[ \t#][^\n]*)?\n)*", re.MULTILINE)


def with_county(body: str, county: kenya.County) -> str:
    """``body`` with ``county`` and its constituencies in its ``lists:`` block
    (added at the end, or merged into the one a previous enable wrote)."""
    data = yaml.safe_load(body) or {}
    lists = data.get("lists") or {}
    counties = lists.setdefault("counties", {})
    counties.setdefault("names", {})[county.id] = county.name
    subs = lists.setdefault("sub_counties", {})
    names = subs.setdefault("names", {})
    for sub in county.sub_counties:
        names[sub.id] = sub.name
    subs.setdefault("groups", {})[county.id] = [s.id for s in county.sub_counties]
    block = ("# Counties enabled beyond the gazetteer's (`mpaka counties enable`): their\n"
             "# constituencies, with KNBS/IEBC codes in gateway/defaults/kenya.yaml.\n"
             + yaml.safe_dump({"lists": lists}, sort_keys=False, allow_unicode=True,
                              default_flow_style=False))
    match = _LISTS_BLOCK.search(body)
    if match:
        head, tail = body[:match.start()], body[match.end():]
        head = head.removesuffix("# constituencies, with KNBS/IEBC codes in "
                                 "gateway/defaults/kenya.yaml.\n")
        head = head.removesuffix("# Counties enabled beyond the gazetteer's (`mpaka counties "
                                 "enable`): their\n")
        return head + block + tail
    return body.rstrip("\n") + "\n\n" + block


def enable(db, county_id: str, *, actor: str,
           script_id: str = script_versions.DEFAULT_SCRIPT_ID) -> Enabled:
    """Store a draft with the county enabled, and a disabled team and rule for
    it; ``CountyError`` (nothing stored) when it cannot be.  The draft builds
    on the newest version, draft or live, so that several counties enabled
    before one publish all land in it (and an admin's unpublished edits too)."""
    county = kenya.county(county_id)
    if county is None:
        raise CountyError(f"no county {county_id!r}: one of "
                          f"{', '.join(c.id for c in kenya.counties())}")
    live = script_versions.live_row(db, script_id)
    newest = db.scalar(select(ScriptVersion).where(ScriptVersion.script_id == script_id)
                       .order_by(ScriptVersion.version.desc()).limit(1))
    base = newest if newest is not None and newest.version > live.version else live
    if county.id in listed_counties(script_versions.parse_version(base)):
        raise CountyError(f"{county.name} is already enabled in {script_id} v{base.version}")
    body = with_county(base.body, county)
    report = lint_script(body, gazetteer_text=gazetteer_text())
    if report.errors:
        raise CountyError(f"enabling {county.name} would leave the script with "
                          f"{len(report.errors)} error(s); nothing was saved", report.errors)
    draft = script_versions.save_draft(db, script_id, body, actor)
    result = Enabled(county, draft, list(report.warnings))
    name = f"{county.name} county team"
    covered = [t for t in db.scalars(select(Team))
               if t.name == name or (t.tier == Tier.COUNTY and county.id in (t.counties or []))]
    if not covered:
        result.team = Team(name=name, tier=Tier.COUNTY,
                           counties=[county.id], language="eng", sees_contacts=True,
                           active=False)
        db.add(result.team)
        db.flush()
        result.rule = RoutingRule(county=county.id, categories=[], min_severity="low",
                                  team_id=result.team.id, active=False)
        db.add(result.rule)
        db.flush()
    return result
