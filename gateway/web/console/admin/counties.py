"""Kenya's counties: which the live script lists, and enabling another
(gateway.store.counties; the same as `mpaka counties enable`)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from gateway.defaults import kenya
from gateway.store import counties as counties_store
from gateway.store import script_versions
from gateway.store.models import ScriptVersion

from ..common import audit, db
from . import bp


def render_counties(problems=None, status=200):
    live = script_versions.live_row(db())
    listed = counties_store.listed_counties(script_versions.parse_version(live))
    drafts = db().scalars(select(ScriptVersion).where(
        ScriptVersion.script_id == live.script_id, ScriptVersion.version > live.version)
        .order_by(ScriptVersion.version)).all()
    return render_template("console/admin/counties.html", counties=kenya.counties(),
                           listed=listed, live=live, drafts=drafts,
                           problems=problems or []), status


@bp.get("/counties")
def counties():
    return render_counties()


@bp.post("/counties/<county_id>/enable")
def enable_county(county_id):
    if kenya.county(county_id) is None:
        abort(404, "There is no such county.")
    try:
        result = counties_store.enable(db(), county_id, actor=current_user.username)
    except counties_store.CountyError as exc:
        db().rollback()
        flash(f"Not enabled: {exc}", "error")
        return render_counties([i.format() for i in exc.issues], 400 if exc.issues else 409)
    audit("county.enabled", result.county.id, draft=result.draft.version,
          team=result.team.name if result.team else None)
    db().commit()
    message = (f"{result.county.name} added to draft version {result.draft.version} with its "
               f"{len(result.county.sub_counties)} sub-counties. Try it in the simulator, "
               "then publish it.")
    if result.team is not None:
        message += (f" Team “{result.team.name}” and its routing rule were created DISABLED: "
                    "add members, then activate both.")
    flash(message)
    return redirect(url_for("scripts.edit", script_id=result.draft.script_id,
                            number=result.draft.version))
