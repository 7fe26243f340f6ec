"""A map that needs no internet: the counties' sub-counties and cross-border
sides as a schematic tile map, drawn by the server as SVG (no tile server,
no script, a few KB), with the counts, highest severity and newest reports
of each, the points where reports shared a location, and a click through to
the report list.

Where a tile sits: the mean of the gazetteer's coordinates of the places
filed under that (county, sub-county), projected (equirectangular, scaled by
the cosine of the mean latitude), then snapped to the nearest free cell of a
grid, so that neighbouring sub-counties stay side by side and never cover
each other.  A cross-border side with no place of its own in that county
takes the place filed under the same side for another county nearest to the
county.  No boundary is drawn: the gazetteer has none, and a made-up line
would look more exact than it is; tiles across the border are dashed.
Points are at their true projected position (so near a tile, not always on it).

The same filters as the report list (its query string, passed through), and
the user's ``Scope``: an officer's map shows their counties only."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from gateway.core import localtime
from gateway.core.services import current_services
from gateway.dialogue import Script
from gateway.errors import ScriptNotFound
from gateway.store import queries, script_versions
from gateway.store.models import Report
from gateway.vocab import Severity
from gateway.web.context import vocabulary

from .common import console_blueprint, db, label, now
from .reports import report_filters

bp = console_blueprint("maps")

CELL_W, CELL_H, GAP, MARGIN = 56, 40, 4, 24
#: Largest scale (pixels per degree): one county alone is not blown up.
MAX_SCALE = 120.0
MAP_WIDTH = 760
#: Newest reports named per tile, located reports drawn as points.
NEWEST, MAX_POINTS = 2, 30
SHORT = 10  # characters of a tile's short name
ABROAD_SUFFIX = " side"
#: Gazetteer values that are not a place on a map.
NOT_PLACES = ("unknown",)


COLUMNS = (Report.reference, Report.county, Report.sub_county, Report.severity,
           Report.created_at, Report.place_name, Report.latitude, Report.longitude)


@dataclass
class Tile:
    county: str
    sub_county: str
    name: str  # "Turkana West", "Uganda side"
    abroad: bool
    at: tuple[float, float] | None  # latitude, longitude
    col: int = 0
    row: int = 0
    count: int = 0
    severity: str | None = None
    newest: list = field(default_factory=list)


def live_script() -> Script:
    try:
        return script_versions.live_script(current_services())
    except (ScriptNotFound, RedisError, SQLAlchemyError):
        return script_versions.fallback_script()


def _mean(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    if not points:
        return None
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def tiles_of(script: Script, counties) -> list[Tile]:
    """One tile per (county, sub-county or side) of the script's sub-county
    groups, for the given counties, at the mean of its places' coordinates."""
    gaz = script.lists.get("sub_counties")
    groups = (gaz.groups or {}) if gaz is not None else {}
    located: dict[tuple[str, str], list] = defaultdict(list)
    for place in script.places:
        if place.at is not None:
            located[(place.county, place.sub_county)].append(place.at)
    kenyan = set(gaz.names) if gaz is not None else set()
    tiles = []
    for county in groups:
        if county not in counties:
            continue
        for value in groups[county]:
            if value in NOT_PLACES:
                continue
            tiles.append(Tile(county, value, label(value), value not in kenyan,
                              _mean(located.get((county, value), []))))
    # A side with no place of its own in this county: the same side's place
    # (filed under another county) nearest to this county's own places.
    for tile in tiles:
        if tile.at is not None or not tile.abroad:
            continue
        home = _mean([t.at for t in tiles if t.county == tile.county and not t.abroad and t.at])
        others = [at for (c, s), ats in located.items() if s == tile.sub_county for at in ats]
        if home is not None and others:
            tile.at = min(others, key=lambda at: (at[0] - home[0]) ** 2 + (at[1] - home[1]) ** 2)
    return tiles


@dataclass
class Frame:
    """The projection from (latitude, longitude) to the SVG's pixels."""

    lat_max: float
    lon_min: float
    scale: float
    squeeze: float  # cos(mean latitude)

    def xy(self, at: tuple[float, float]) -> tuple[float, float]:
        return ((at[1] - self.lon_min) * self.squeeze * self.scale,
                (self.lat_max - at[0]) * self.scale)


def frame_for(points: list[tuple[float, float]]) -> Frame:
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    squeeze = math.cos(math.radians((max(lats) + min(lats)) / 2))
    span = max((max(lons) - min(lons)) * squeeze, 0.01)
    scale = min(MAX_SCALE, (MAP_WIDTH - 2 * MARGIN - CELL_W) / span)
    return Frame(max(lats), min(lons), scale, squeeze)


def place_tiles(tiles: list[Tile], frame: Frame) -> None:
    """Snap each located tile to the free grid cell nearest its projected
    position (Kenyan sub-counties first, then the sides across a border)."""
    taken: set[tuple[int, int]] = set()
    pitch_x, pitch_y = CELL_W + GAP, CELL_H + GAP
    for tile in sorted((t for t in tiles if t.at), key=lambda t: t.abroad):
        x, y = frame.xy(tile.at)
        want = (x / pitch_x, y / pitch_y)
        best = None
        for radius in range(0, 12):
            ring = [(round(want[0]) + dx, round(want[1]) + dy)
                    for dx in range(-radius, radius + 1) for dy in range(-radius, radius + 1)
                    if max(abs(dx), abs(dy)) == radius]
            free = [cell for cell in ring if cell not in taken]
            if free:
                best = min(free, key=lambda c: ((c[0] - want[0]) ** 2 + (c[1] - want[1]) ** 2, c))
                break
        tile.col, tile.row = best or (round(want[0]), round(want[1]))
        taken.add((tile.col, tile.row))


def short_name(tile: Tile) -> str:
    """"West" for Turkana West, "Uganda" for Uganda side: what fits in a tile."""
    name = tile.name.removesuffix(ABROAD_SUFFIX)
    county = label(tile.county)
    if name.startswith(county + " ") and len(name) > len(county) + 1:
        name = name[len(county) + 1:]
    elif name.endswith(" " + county):
        name = name[:-len(county) - 1]
    return name if len(name) <= SHORT else name[:SHORT - 1] + "…"


@dataclass
class MapData:
    tiles: list[Tile]
    elsewhere: list[dict]  # reports on no tile: (county, sub-county) groups
    points: list[dict]
    total: int
    located: int  # reports with a shared location (points drawn: at most MAX_POINTS)
    width: int = MAP_WIDTH
    height: int = 0
    frame: Frame | None = None
    args: dict = field(default_factory=dict)


def build(scope: queries.Scope, filters: queries.ReportFilters, args: dict) -> MapData:
    script = live_script()
    gaz = script.lists.get("sub_counties")
    groups = (gaz.groups or {}) if gaz is not None else {}
    counties = [c for c in groups if scope.may_see_county(c)]
    tiles = tiles_of(script, counties)
    by_key = {(t.county, t.sub_county): t for t in tiles}
    base = filters.apply(scope.reports(select(*COLUMNS)), now=now())
    counted = db().execute(
        filters.apply(scope.reports(select(Report.county, Report.sub_county, Report.severity,
                                           func.count())), now=now())
        .group_by(Report.county, Report.sub_county, Report.severity)).all()
    elsewhere: dict[tuple[str, str | None], dict] = {}
    total = 0
    for county, sub_county, severity, count in counted:
        total += count
        tile = by_key.get((county, sub_county or ""))
        target = tile if tile is not None else elsewhere.setdefault(
            (county, sub_county), {"county": county, "sub_county": sub_county, "count": 0,
                                   "severity": None})
        if isinstance(target, Tile):
            target.count += count
            target.severity = _worse(target.severity, severity)
        else:
            target["count"] += count
            target["severity"] = _worse(target["severity"], severity)
    for row in db().execute(base.order_by(Report.created_at.desc(), Report.id.desc()).limit(1000)):
        tile = by_key.get((row.county, row.sub_county or ""))
        if tile is not None and len(tile.newest) < NEWEST:
            tile.newest.append(row)
    located_query = base.where(Report.latitude.is_not(None), Report.longitude.is_not(None))
    located = db().scalar(select(func.count()).select_from(located_query.order_by(None).subquery()))
    point_rows = db().execute(located_query.order_by(Report.created_at.desc(), Report.id.desc())
                              .limit(MAX_POINTS)).all()
    data = MapData(tiles, sorted(elsewhere.values(), key=lambda e: -e["count"]), [], total,
                   located or 0, args=args)
    anchors = [t.at for t in tiles if t.at]
    if anchors:
        frame = frame_for(anchors)
        place_tiles(tiles, frame)
        data.frame = frame
        pitch_x, pitch_y = CELL_W + GAP, CELL_H + GAP
        cols = [t.col for t in tiles if t.at]
        rows = [t.row for t in tiles if t.at]
        # Shift the grid so that its first column and row start at the margin.
        dx, dy = -min(cols) * pitch_x + MARGIN, -min(rows) * pitch_y + MARGIN + 10
        data.width = (max(cols) - min(cols) + 1) * pitch_x + 2 * MARGIN
        data.height = (max(rows) - min(rows) + 1) * pitch_y + 2 * MARGIN + 10
        for tile in tiles:
            tile.col, tile.row = tile.col - min(cols), tile.row - min(rows)
        for row in point_rows:
            x, y = frame.xy((row.latitude, row.longitude))
            x, y = x + dx, y + dy
            if 0 <= x <= data.width and 0 <= y <= data.height:
                data.points.append({"row": row, "x": x, "y": y})
    return data


def _worse(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if Severity.rank_of(a) >= Severity.rank_of(b) else b


def reports_link(args: dict, **chosen) -> str:
    """The report list with the map's filters and a county/sub-county."""
    keep = {k: v for k, v in args.items() if v and k not in ("page", "county", "sub_county")}
    return url_for("reports.index") + "?" + urlencode(keep | chosen)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def county_outline(tiles: list[Tile]) -> str:
    """The outline of a county's own tiles (each cell's edges that no tile
    of the same county shares), as an SVG path: which tiles are one county's
    when several counties' sub-counties meet.  A grouping, not a boundary."""
    pitch_x, pitch_y = CELL_W + GAP, CELL_H + GAP
    cells = {(t.col, t.row) for t in tiles}
    d = []
    for col, row in sorted(cells):
        left, top = MARGIN + col * pitch_x - GAP / 2, MARGIN + 10 + row * pitch_y - GAP / 2
        right, bottom = left + pitch_x, top + pitch_y
        if (col, row - 1) not in cells:
            d.append(f"M{_n(left)} {_n(top)}H{_n(right)}")
        if (col, row + 1) not in cells:
            d.append(f"M{_n(left)} {_n(bottom)}H{_n(right)}")
        if (col - 1, row) not in cells:
            d.append(f"M{_n(left)} {_n(top)}V{_n(bottom)}")
        if (col + 1, row) not in cells:
            d.append(f"M{_n(right)} {_n(top)}V{_n(bottom)}")
    return "".join(d)


def tile_title(tile: Tile) -> str:
    text = f"{tile.name}, {label(tile.county)}: {tile.count} report{'' if tile.count == 1 else 's'}"
    if tile.severity:
        text += f", highest severity {label(tile.severity)}"
    return text


def svg(data: MapData, *, title: str, points: bool = True) -> Markup:
    """The map as inline SVG: tiles (links to the reports), county names and points."""
    pitch_x, pitch_y = CELL_W + GAP, CELL_H + GAP
    parts = [f'<svg class="map" viewBox="0 0 {data.width} {max(data.height, 60)}" '
             f'aria-labelledby="map-title"><title id="map-title">{escape(title)}</title>']
    placed = [t for t in data.tiles if t.at]
    if not placed:
        parts.append('<text class="map-county" x="10" y="30">No place of these counties has '
                     'coordinates in the gazetteer.</text>')
    for tile in placed:
        x, y = MARGIN + tile.col * pitch_x, MARGIN + 10 + tile.row * pitch_y
        tone = tile.severity or "none"
        classes = f"tile m-{tone}" + (" abroad" if tile.abroad else "")
        href = reports_link(data.args, county=tile.county, sub_county=tile.sub_county)
        parts.append(
            f'<a class="{classes}" href="{escape(href)}" transform="translate({x},{y})">'
            f'<title>{escape(tile_title(tile))}</title>'
            f'<rect width="{CELL_W}" height="{CELL_H}" rx="4"/>'
            f'<text x="{CELL_W // 2}" y="17">{tile.count}</text>'
            f'<text class="ts" x="{CELL_W // 2}" y="32">{escape(short_name(tile))}</text></a>')
    by_county: dict[str, list[Tile]] = defaultdict(list)
    for tile in placed:
        if not tile.abroad:
            by_county[tile.county].append(tile)
    for tiles in by_county.values():
        parts.append(f'<path class="county-line" d="{county_outline(tiles)}"/>')
    for county, tiles in by_county.items():
        top = min(t.row for t in tiles)
        cols = [t.col for t in tiles if t.row == top]
        x = MARGIN + (sum(cols) / len(cols)) * pitch_x + CELL_W / 2
        parts.append(f'<text class="map-county" x="{x:.0f}" y="{MARGIN + top * pitch_y + 6}">'
                     f'{escape(label(county))}</text>')
    if points:
        for point in data.points:
            row = point["row"]
            where = f", {row.place_name}" if row.place_name else ""
            parts.append(
                f'<a href="{escape(url_for("reports.show", reference=row.reference))}">'
                f'<title>{escape(row.reference)}{escape(where)}, {localtime.display(row.created_at)}, '
                f'{escape(label(row.severity))}</title>'
                f'<circle class="pt m-{escape(row.severity)}" cx="{point["x"]:.0f}" '
                f'cy="{point["y"]:.0f}" r="4"/></a>')
    parts.append("</svg>")
    return Markup("".join(parts))


def quiet_tiles(data: MapData) -> list[Tile]:
    """Tiles with no report: named under the table, not a row each (size)."""
    return [t for t in data.tiles if not t.count]


def table_rows(data: MapData) -> list[dict]:
    """The same counts as a table, busiest first (screen readers, phones):
    the tiles with reports, and the reports on no tile."""
    rows = [{"county": t.county, "sub_county": t.sub_county, "name": t.name, "count": t.count,
             "severity": t.severity, "newest": t.newest, "on_map": t.at is not None,
             "link": reports_link(data.args, county=t.county, sub_county=t.sub_county)}
            for t in data.tiles if t.count]
    for group in data.elsewhere:
        chosen = {"county": group["county"]}
        if group["sub_county"]:
            chosen["sub_county"] = group["sub_county"]
        rows.append({"county": group["county"], "sub_county": group["sub_county"],
                     "name": label(group["sub_county"]) if group["sub_county"] else "–",
                     "count": group["count"], "severity": group["severity"], "newest": [],
                     "on_map": False, "link": reports_link(data.args, **chosen)})
    return sorted(rows, key=lambda r: (-r["count"], label(r["county"]), r["name"]))


def overview_map(days: int = 30) -> dict:
    """The small map on the overview (a template global: the overview's
    view is not this module's): the last ``days`` days, no points."""
    scope = current_user.scope
    since = localtime.today(now()) - timedelta(days=days - 1)
    args = {"since": since.isoformat()}
    data = build(scope, queries.ReportFilters(since=since), args)
    busiest = [t for t in sorted(data.tiles, key=lambda t: -t.count) if t.count][:5]
    return {"svg": svg(data, title=f"Reports per sub-county, last {days} days (EAT)",
                       points=False),
            "busiest": busiest, "args": args, "total": data.total,
            "link": reports_link(args)}


@bp.get("/map")
def index():
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    filters = report_filters()
    scope = current_user.scope
    data = build(scope, filters, args)
    today = localtime.today(now())
    recent = {label_: url_for("maps.index", **({k: v for k, v in args.items() if k != "since"}
                                               | {"since": (today - timedelta(days=d)).isoformat()}))
              for label_, d in (("Today", 0), ("7 days", 6), ("30 days", 29))}
    return render_template(
        "console/map.html", map=svg(data, title="Reports per sub-county and shared locations"),
        data=data, rows=table_rows(data), quiet=quiet_tiles(data), args=args, recent=recent,
        list_link=reports_link(args, **{k: args[k] for k in ("county", "sub_county") if k in args}),
        max_points=MAX_POINTS, filters=filters,
        # The counties on the map (the list's filter also offers the 42 others).
        counties=list(dict.fromkeys(t.county for t in data.tiles)),
        categories=list(vocabulary().categories), severities=queries.SEVERITIES,
        statuses=queries.STATUSES)
