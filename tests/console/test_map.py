"""The map that needs no internet: tiles per sub-county with counts and the
highest severity, points for shared locations, the report list's filters,
the user's scope, a click through to the reports, and under 50 KB."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

from sqlalchemy import select

from gateway.store import script_versions
from gateway.store.models import Report
from gateway.web.console import maps

from .conftest import make_report
from .test_bandwidth import LIMIT, page_weight


def at_sub_county(svc, reference, sub_county):
    with svc.db() as db:
        db.scalar(select(Report).where(Report.reference == reference)).sub_county = sub_county
        db.commit()


def report_in(svc, sub_county, county="turkana", **kwargs):
    reference = make_report(svc, county=county, **kwargs)
    at_sub_county(svc, reference, sub_county)
    return reference


TILE = re.compile(r'<a class="tile[^"]*" href="([^"]+)" transform="[^"]+"><title>([^<]+)</title>')


def tile_titles(html: str) -> list[str]:
    return [unescape(title) for _href, title in TILE.findall(html)]


def test_tiles_count_reports_per_sub_county_with_the_highest_severity(admin_client, svc):
    """Each tile's title says its sub-county's count and highest severity."""
    report_in(svc, "turkana_west", severity="low")
    report_in(svc, "turkana_west", severity="high")
    report_in(svc, "loima", severity="medium")
    page = admin_client.get("/console/map")
    assert page.status_code == 200
    titles = tile_titles(page.text)
    west = next(t for t in titles if t.startswith("Turkana West, Turkana"))
    assert west.startswith("Turkana West, Turkana: 2 reports, highest severity High")
    loima = next(t for t in titles if t.startswith("Loima, Turkana"))
    assert loima.startswith("Loima, Turkana: 1 report, highest severity Medium")
    assert re.search(r'<a class="tile m-high" href="[^"]*sub_county=turkana_west[^"]*" [^>]*>'
                     r'<title>[^<]*</title><rect[^>]*/><text [^>]*>2</text>', page.text)


def test_every_sub_county_and_border_side_of_the_gazetteer_has_a_tile(admin_client):
    """The five counties' sub-counties and cross-border sides are all drawn, dashed across a border."""
    titles = tile_titles(admin_client.get("/console/map").text)
    names = {t.split(":")[0] for t in titles}
    assert {"Turkana West, Turkana", "Budalangi, Busia", "Lafey, Mandera", "Moyale, Marsabit",
            "Eldas, Wajir", "Uganda side, Busia", "Somalia side, Wajir",
            "South Sudan side, Turkana"} <= names
    # 29 sub-counties; sides: Turkana 3, Mandera 2, Wajir 2, Marsabit 1, Busia 1.
    assert len(names) == 29 + 9


def test_tiles_are_placed_where_their_places_are(svc, app):
    """Tiles keep the gazetteer's geography: Turkana is west of Mandera, Busia south of Turkana."""
    with app.test_request_context():
        tiles = maps.tiles_of(maps.script_versions.fallback_script(),
                              ["turkana", "mandera", "busia", "wajir", "marsabit"])
        frame = maps.frame_for([t.at for t in tiles if t.at])
        maps.place_tiles(tiles, frame)
    where = {(t.county, t.sub_county): t for t in tiles}
    assert where[("turkana", "turkana_west")].col < where[("mandera", "mandera_east")].col
    assert where[("busia", "matayos")].row > where[("turkana", "turkana_south")].row
    cells = [(t.col, t.row) for t in tiles if t.at]
    assert len(cells) == len(set(cells)), "two tiles share a cell"


def test_a_tile_links_to_the_report_list_of_its_sub_county_with_the_filters(admin_client, svc):
    """Clicking a tile opens the list filtered to its county and sub-county, keeping the map's filters."""
    report_in(svc, "turkana_west", category="trafficking")
    page = admin_client.get("/console/map?category=trafficking&severity=high")
    links = [unescape(href) for href, title in TILE.findall(page.text)
             if title.startswith("Turkana West")]
    assert len(links) == 1
    link = links[0]
    for part in ("county=turkana", "sub_county=turkana_west", "category=trafficking",
                 "severity=high"):
        assert part in link
    assert admin_client.get(link).status_code == 200


def test_the_map_applies_the_report_lists_filters(admin_client, svc):
    """A category filter counts only that category's reports."""
    report_in(svc, "turkana_west", category="trafficking")
    report_in(svc, "turkana_west", category="terrorism")
    titles = tile_titles(admin_client.get("/console/map?category=trafficking").text)
    assert any(t.startswith("Turkana West, Turkana: 1 report,") for t in titles)


def test_an_officer_sees_only_their_counties_on_the_map(officer_client, svc):
    """A Turkana officer's map has Turkana's tiles only, and counts no Mandera report."""
    report_in(svc, "turkana_west")
    report_in(svc, "mandera_east", county="mandera")
    page = officer_client.get("/console/map")
    names = {t.split(":")[0] for t in tile_titles(page.text)}
    assert names and all(name.endswith(", Turkana") for name in names)
    assert 'id="map-total">1<' in page.text
    assert "Mandera" not in page.text.split('id="map-table"')[1].split("</table>")[0]


def test_shared_locations_are_points_linking_to_their_report(admin_client, svc):
    """A report with a WhatsApp location is a point titled with its place, linking to the report."""
    reference = make_report(svc, place_name="Kakuma", latitude=3.717, longitude=34.867)
    at_sub_county(svc, reference, "turkana_west")
    page = admin_client.get("/console/map")
    assert re.search(rf'<a href="/console/reports/{reference}"><title>{reference}, Kakuma, '
                     r'[^<]+, High</title><circle class="pt m-high"', page.text)


def test_the_table_lists_the_same_counts_and_newest_reports(admin_client, svc):
    """The table fallback lists each sub-county's count, busiest first, with its newest
    reports; the sub-counties without a report are named under it."""
    old = report_in(svc, "loima", created_at=datetime.now(UTC) - timedelta(hours=3))
    new = report_in(svc, "loima")
    report_in(svc, "turkana_west")
    table = admin_client.get("/console/map").text.split('id="map-table"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    assert ">Loima</a>" in rows[0] and "<td>2</td>" in rows[0]
    assert rows[0].index(new) < rows[0].index(old)
    assert ">Turkana West</a>" in rows[1] and "<td>1</td>" in rows[1]
    assert len(rows) == 2
    quiet = admin_client.get("/console/map").text.split('id="map-quiet">')[1].split("</p>")[0]
    assert "Turkana Central (Turkana)" in quiet and "Loima" not in quiet


def test_reports_on_no_tile_are_still_counted_in_the_table(admin_client, svc):
    """A report from a county outside the gazetteer's groups is listed as not on the map."""
    make_report(svc, county="nairobi")
    page = admin_client.get("/console/map")
    assert 'id="map-total">1<' in page.text
    assert "(not on the map)" in page.text


def test_the_overview_has_a_small_map_linking_to_the_full_one(admin_client, svc):
    """The overview embeds the map (last 30 days) and links to the map page."""
    report_in(svc, "turkana_west")
    page = admin_client.get("/console/overview").text
    assert '<svg class="map"' in page and 'id="open-map"' in page
    assert "Turkana West, Turkana</a> (1)" in page


def test_the_map_page_is_under_50_kb_at_its_fullest(admin_client, svc):
    """With three reports in every tile (each named in its title and the table) and a
    hundred located reports, what a phone downloads for the page (HTML, CSS
    and JS as sent) and the HTML itself stay under 50 KB."""
    groups = script_versions.fallback_script().lists["sub_counties"].groups
    start = datetime.now(UTC) - timedelta(hours=20)
    for county, values in groups.items():
        for value in values:
            for n in range(3):
                report_in(svc, value, county=county, created_at=start + timedelta(minutes=n))
    counties = list(groups)
    for n in range(100):
        make_report(svc, county=counties[n % 5], place_name="Somewhere with a long name",
                    latitude=1.0 + (n % 30) / 10, longitude=34.5 + (n % 70) / 10,
                    created_at=start + timedelta(minutes=n))
    page = admin_client.get("/console/map")
    downloaded, html = page_weight(admin_client, "/console/map")
    print("map page at its fullest (downloaded, HTML uncompressed; bytes):", downloaded, html)
    assert downloaded < LIMIT and html < LIMIT
    assert page.text.count('<circle class="pt') == maps.MAX_POINTS
