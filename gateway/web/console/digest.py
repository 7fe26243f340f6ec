"""The weekly summary as a printable page: the figures the teams' weekly SMS
carries (``gateway.routing.digest``), with every category and incident.
County officers see their counties; admins any county or all of them."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, render_template, request
from flask_login import current_user

from gateway.core.services import current_services
from gateway.routing import digest as digest_module
from gateway.web.context import vocabulary

from .common import console_blueprint, db, now

bp = console_blueprint("digest")


def week_arg() -> date:
    value = request.args.get("week", "")
    if not value:
        return digest_module.last_week(now())
    try:
        day = date.fromisoformat(value)
    except ValueError:
        abort(400, "Give the week as a day, YYYY-MM-DD (any day of it).")
    if not 2000 <= day.year <= 2100:  # and the week before and after stay real dates
        abort(400, "Give a week between the years 2000 and 2100.")
    return day - timedelta(days=day.weekday())


def counties_arg() -> list[str]:
    scope = current_user.scope
    county = request.args.get("county", "")
    if county and county not in vocabulary().counties:
        abort(400, "There is no such county.")
    if scope.is_admin:
        return [county] if county else []
    if county and not scope.may_see_county(county):
        abort(403, "This summary is for another county's team.")
    return [county] if county else sorted(scope.counties)


@bp.get("/digest")
def show():
    week = week_arg()
    counties = counties_arg()
    figures = digest_module.build(db(), counties, week)
    labels = digest_module.labels_for(current_services(), "eng")
    scope = current_user.scope
    return render_template(
        "console/digest.html", digest=figures, labels=labels,
        sms=digest_module.sms_text(figures, labels, "eng"),
        days=digest_module.days_text(figures), median=digest_module.minutes_text(
            figures.median_minutes),
        previous_week=(week - timedelta(days=7)).isoformat(),
        next_week=(week + timedelta(days=7)).isoformat(),
        county=request.args.get("county", ""),
        counties=list(vocabulary().counties) if scope.is_admin else sorted(scope.counties))
