"""The OpenAPI 3 document of ``/api/v1``, built from the same constants the
views validate against, so the two cannot drift apart silently (and
schemathesis checks the rest: tests/api/test_schemathesis.py)."""

from __future__ import annotations

import re
from functools import cache

from gateway.store import queries
from gateway.store.script_versions import Vocabulary, shipped_vocabulary
from gateway.vocab import (
    LEDGER_CHANNELS,
    MEMBER_CHANNELS,
    AlertKind,
    AlertStatus,
    AttachmentKind,
    AttachmentStatus,
    Channel,
    Direction,
    IncidentEventKind,
    IncidentStatus,
    ReportStatus,
    Role,
    SharingLevel,
    Tier,
)
from handlers.twilio_media import DEFAULT_ALLOWED_TYPES

#: Page sizes of every listing.
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


VERSION = "1.0.0"
#: Free-text parameters may not contain control characters (400 otherwise).
NO_CONTROL = "^[^\\x00-\\x1f]*$"
#: ``since``/``until``: a day (EAT) or a moment; a date-time without an offset is
#: also taken (as EAT), as people type it, but the document asks for the offset.
#: An incident's close reason (5 to 500 characters) and note (1 to 500): no
#: control character but line breaks in a note, no space at either end.
_EDGE = "[^\\x00-\\x1f\\s]"
REASON = f"^{_EDGE}[^\\x00-\\x1f]{{3,498}}{_EDGE}$"
NOTE = f"^{_EDGE}([^\\x00-\\x09\\x0b-\\x1f]{{0,498}}{_EDGE})?$"
MOMENT = {"anyOf": [{"type": "string", "format": "date"},
                   {"type": "string", "format": "date-time"}]}


def _nullable(schema: dict) -> dict:
    return schema | {"nullable": True}


STR = {"type": "string"}
NSTR = _nullable(STR)
NNUM = _nullable({"type": "number"})
NTIME = _nullable({"type": "string", "format": "date-time"})
TIME = {"type": "string", "format": "date-time"}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties,
            "required": required if required is not None else list(properties),
            "additionalProperties": False}


def _body(properties: dict) -> dict:
    return {"type": "object", "required": list(properties), "additionalProperties": False,
            "properties": properties}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _page(item: str) -> dict:
    return _obj({"data": {"type": "array", "items": _ref(item)},
                 "next_cursor": _nullable({"type": "string"})})


def _schemas(counties: list[str], categories: list[str]) -> dict:
    schemas: dict = {
        "Error": _obj({"error": _obj({
            "status": {"type": "integer"}, "code": STR, "message": STR})}),
        "Report": _obj({
            "id": {"type": "integer"},
            "reference": {"type": "string", "example": "R-7KX2QM"},
            "channel": {"type": "string", "enum": list(Channel)},
            "language": STR,
            "category": {"type": "string", "enum": categories},
            "county": {"type": "string", "enum": counties},
            "sub_county": NSTR,
            "county_code": _nullable({"type": "string", "pattern": "^[0-9]{3}$", "description":
                                      "KNBS/IEBC county code (e.g. 023 Turkana); null outside Kenya's 47"}),
            "sub_county_code": _nullable({"type": "string", "pattern": "^[0-9]{3}$", "description":
                                          "IEBC constituency code (001-290); null for a "
                                          "cross-border side or an unknown sub-county"}),
            "place_name": _nullable({"type": "string", "description":
                                     "The place the reporter named or shared, as the gazetteer "
                                     "names it (e.g. Kakuma)"}),
            "latitude": _nullable({"type": "number", "description":
                                   "A location shared on WhatsApp, 3 decimals (about 110 m)"}),
            "longitude": NNUM,
            "when": NSTR,
            "description": NSTR,
            "contact_allowed": {"type": "boolean"},
            "reporter": _nullable({"type": "string", "description":
                                   "Masked number of a consenting reporter; admins only"}),
            "severity": {"type": "string", "enum": list(queries.SEVERITIES)},
            "status": {"type": "string", "enum": list(queries.STATUSES)},
            "priority": STR,
            "created_at": TIME,
            "routed_at": NTIME,
            "acknowledged_at": NTIME,
            "assigned_to": _nullable({"type": "string", "description":
                                      "Username of the officer working on the report"}),
        }),
        "TimelineEvent": _obj({
            "at": TIME, "kind": {"type": "string", "example": "routed"},
            "actor": _nullable({"type": "string", "description":
                                "Who, as stored: user:<username>, member:<id>, system"}),
            "who": {"type": "string", "description":
                    "Who, named as the console names them: a username, a team member's "
                    "name, or Mpaka for the gateway itself"},
            "detail": {"type": "object"},
        }),
        "Note": _obj({
            "id": {"type": "integer"}, "at": TIME,
            "by": {"type": "string", "description": "The author's username"},
            "text": STR,
        }),
        "NewNote": {"type": "object", "required": ["text"], "additionalProperties": False,
                    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 2000}}},
        "Assignment": {"type": "object", "required": ["user"], "additionalProperties": False,
                       "properties": {"user": _nullable({
                           "type": "string", "maxLength": 64, "description":
                           "A username (an active officer of the report's county, or an "
                           "admin), me for the token's user, or null for no one"})}},
        "Delivery": _obj({"channel": STR, "status": NSTR, "error": NSTR, "created_at": TIME}),
        "Alert": _obj({
            "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(AlertKind)},
            "team": STR, "team_id": {"type": "integer"},
            "tier": {"type": "string", "enum": list(Tier)},
            "level": {"type": "integer"}, "status": {"type": "string", "enum": list(AlertStatus)},
            "created_at": TIME, "deadline_at": NTIME, "acknowledged_at": NTIME,
            "acknowledged_by": NSTR, "deliveries": {"type": "array", "items": _ref("Delivery")},
        }),
        "Incident": _obj({
            "id": {"type": "integer"}, "category": STR, "county": STR, "sub_county": NSTR,
            "status": {"type": "string", "enum": list(IncidentStatus)},
            "report_count": {"type": "integer"},
            "county_code": _nullable({"type": "string", "pattern": "^[0-9]{3}$", "description":
                                      "KNBS/IEBC county code (e.g. 023 Turkana); null outside Kenya's 47"}),
            "sub_county_code": _nullable({"type": "string", "pattern": "^[0-9]{3}$", "description":
                                          "IEBC constituency code (001-290); null for a "
                                          "cross-border side or an unknown sub-county"}),
            "reporter_count": {"type": "integer", "description":
                               "Distinct reporters: one per number, one per anonymous report"},
            "references": {"type": "array", "items": STR},
            "first_report_at": TIME, "last_report_at": TIME, "created_at": TIME,
            "close_reason": _nullable({"type": "string", "description":
                                       "Why it was closed (or 'Merged into incident N')"}),
            "closed_at": NTIME,
            "merged_into_id": _nullable({"type": "integer", "description":
                                         "The incident its reports moved into"}),
        }),
        "IncidentReport": _obj({
            "reference": STR, "created_at": TIME,
            "severity": {"type": "string", "enum": list(queries.SEVERITIES)},
            "status": {"type": "string", "enum": list(queries.STATUSES)}, "place_name": NSTR,
        }),
        "IncidentEvent": _obj({
            "at": TIME, "kind": {"type": "string", "enum": list(IncidentEventKind)},
            "actor": NSTR, "detail": {"type": "object"},
        }),
        "ReferenceBody": _body({"reference": REFERENCE["schema"] | {"example": "R-7KX2QM"}}),
        "MergeBody": _body({"incident_id": {"type": "integer", "minimum": 1,
                                            "maximum": 2**31 - 1, "description":
                                            "The incident to merge into this one"}}),
        "CloseBody": _body({"reason": {"type": "string", "minLength": 5, "maxLength": 500,
                                       "pattern": REASON}}),
        "IncidentStatusChange": _body({"status": {"type": "string", "enum":
                                                  list(IncidentStatus.active())}}),
        "NoteBody": _body({"text": {"type": "string", "minLength": 1, "maxLength": 500,
                                    "pattern": NOTE}}),
        "Member": _obj({
            "id": {"type": "integer"}, "name": STR,
            "phone": {"type": "string", "description": "Full number for admins, masked otherwise"},
            "channel": {"type": "string", "enum": list(MEMBER_CHANNELS)}, "active": {"type": "boolean"},
        }),
        "Team": _obj({
            "id": {"type": "integer"}, "name": STR,
            "tier": {"type": "string", "enum": list(Tier)},
            "counties": {"type": "array", "items": STR}, "language": STR,
            "active": {"type": "boolean"}, "members": {"type": "array", "items": _ref("Member")},
        }),
        "Message": _obj({
            "id": {"type": "integer"}, "direction": {"type": "string", "enum": list(Direction)},
            "channel": STR, "provider": STR,
            "from": _nullable({"type": "string", "description": "Numbers are always masked"}),
            "to": NSTR, "text": NSTR, "status": STR, "error": NSTR,
            "report_id": _nullable({"type": "integer"}), "created_at": NTIME,
        }),
        "User": _obj({"username": STR, "role": {"type": "string", "enum": list(Role)},
                      "counties": {"type": "array", "items": STR}}),
        "StatusChange": {"type": "object", "required": ["status"], "additionalProperties": False,
                         "properties": {
                             "status": {"type": "string", "enum": list(ReportStatus.actions())}}},
        "WebhookReport": {
            "description": "The body POSTed to an agency endpoint (see docs/api.md)",
            **_obj({
                "event": {"type": "string", "enum": ["report.created"]},
                "reference": STR, "category": STR, "county": STR, "sub_county": NSTR,
                "county_code": NSTR, "sub_county_code": NSTR,
                "place_name": NSTR, "latitude": NNUM, "longitude": NNUM, "when": NSTR,
                "severity": STR, "description": NSTR, "language": STR, "channel": STR,
                "contact_allowed": {"type": "boolean"}, "created_at": NTIME,
            }),
        },
    }
    schemas["Attachment"] = _obj({
        "id": STR, "kind": {"type": "string", "enum": list(AttachmentKind)},
        "content_type": STR, "status": {"type": "string", "enum": list(AttachmentStatus)},
        "size": _nullable({"type": "integer"}), "sha256": NSTR, "created_at": TIME,
        "url": _nullable({"type": "string", "description":
                          "Download URL (needs the same bearer token); null until stored"}),
    })
    schemas["ReportDetail"] = _obj(schemas["Report"]["properties"] | {
        "timeline": {"type": "array", "items": _ref("TimelineEvent")},
        "alerts": {"type": "array", "items": _ref("Alert")},
        "attachments": {"type": "array", "items": _ref("Attachment")},
    })
    schemas["IncidentDetail"] = _obj(schemas["Incident"]["properties"] | {
        "reports": {"type": "array", "items": _ref("IncidentReport")},
        "timeline": {"type": "array", "items": _ref("IncidentEvent")},
    })
    for name in ("Report", "Incident", "Team", "Message", "Note"):
        schemas[f"{name}Page"] = _page(name)
    code = _nullable({"type": "string", "description": "KNBS/IEBC code, where known"})
    schemas["SharedAggregate"] = _obj({
        "week": {"type": "string", "example": "2026-W49", "description": "ISO week (EAT)"},
        "county": STR, "county_code": code, "category": STR,
        "reports": {"type": "integer"}, "incidents": {"type": "integer"}})
    schemas["SharedIncident"] = _obj({
        "id": {"type": "integer"}, "category": STR, "county": STR, "county_code": code,
        "sub_county": NSTR, "sub_county_code": code, "status": STR,
        "report_count": {"type": "integer"}, "reporter_count": {"type": "integer"},
        "first_report_at": TIME, "last_report_at": TIME})
    schemas["SharedReport"] = _obj({
        "reference": STR, "category": STR, "county": STR, "county_code": code,
        "sub_county": NSTR, "sub_county_code": code, "place_name": NSTR, "latitude": NNUM,
        "longitude": NNUM, "when": NSTR, "severity": STR, "status": STR, "description": NSTR,
        "created_at": TIME, "acknowledged_at": NTIME})
    schemas["SharedAggregateList"] = _obj({
        "data": {"type": "array", "items": _ref("SharedAggregate")}})
    for name in ("SharedIncident", "SharedReport"):
        schemas[f"{name}Page"] = _page(name)
    schemas["PartnerSelf"] = _obj({
        "name": STR, "level": {"type": "string", "enum": list(SharingLevel)},
        "counties": {"type": "array", "items": STR}})
    return schemas


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(schema: str, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


RESPONSES = {
    "BadRequest": _error("A parameter or the body is invalid; the message says which"),
    "Unauthorized": _error("No token, or an unknown or revoked one"),
    "NotFound": _error("No such resource within the token's counties"),
    "Forbidden": _error("The token's user may not do this (admins only), or the token is "
                        "a partner's on a user endpoint (or a user's on /shared), or the "
                        "partner's sharing level does not include this"),
    "Conflict": _error("The report or incident is not in a state this action applies to"),
}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


PAGING = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                     "default": DEFAULT_LIMIT}, "Page size"),
    _query("cursor", {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,200}$"},
           "next_cursor of the previous page"),
]
REFERENCE = {"name": "reference", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^R-?[A-Za-z0-9]{6}$"},
             "description": "The report's reference, e.g. R-7KX2QM (case and dash are forgiven)"}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}


def _get(summary: str, ok: str, parameters=(), extra=None) -> dict:
    responses = {"200": _ok(ok), "401": {"$ref": "#/components/responses/Unauthorized"}}
    if any(p.get("in") == "query" for p in parameters):
        responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    if any(p.get("in") == "path" for p in parameters):
        responses["404"] = {"$ref": "#/components/responses/NotFound"}
    return {"get": {"summary": summary, "parameters": list(parameters), "responses": responses,
                    **(extra or {})}}


SHARED_PERIOD = [
    _query("since", MOMENT, "On or after: a day, YYYY-MM-DD (East Africa Time), or a "
           "date-time with an offset; default: 12 weeks ago"),
    _query("until", MOMENT, "On or before: a day (the whole EAT day) or a date-time"),
]


def _shared(summary: str, ok: str, parameters) -> dict:
    """A partner endpoint: partner tokens only (a user's token is refused, 403)."""
    item = _get(summary, ok, parameters, {
        "description": "For partner tokens (`mpaka partners token NAME`); each response is "
                       "recorded as a share.  What each sharing level receives: docs/api.md."})
    item["get"]["responses"]["403"] = {"$ref": "#/components/responses/Forbidden"}
    return item


def _report_filters(counties: list[str], categories: list[str], sub_counties: list[str],
                    languages: list[str]) -> list[dict]:
    return [
        _query("county", {"type": "string", "enum": counties}, "County"),
        _query("sub_county", {"type": "string", "enum": sub_counties},
               "Sub-county (or cross-border side), e.g. turkana_west"),
        _query("category", {"type": "string", "enum": categories}, "Category"),
        _query("severity", {"type": "string", "enum": list(queries.SEVERITIES)}, "Severity"),
        _query("status", {"type": "string", "enum": list(queries.STATUSES)}, "Status"),
        _query("channel", {"type": "string", "enum": list(queries.CHANNELS)},
               "The channel the report came by"),
        _query("language", {"type": "string", "enum": languages},
               "The language of the reporter's dialogue"),
        _query("assigned", {"type": "string", "maxLength": 64, "pattern": NO_CONTROL},
               "Assigned to this username; me for the token's user, none for unassigned"),
        _query("since", MOMENT, "Received on or after: a day, YYYY-MM-DD, is an East Africa "
               "Time calendar day (from 00:00 EAT, 21:00 UTC the day before); a date-time "
               "with an offset (2026-11-30T20:25+03:00, …Z) is that moment"),
        _query("until", MOMENT, "Received on or before: a day, YYYY-MM-DD, is the whole East "
               "Africa Time calendar day (until 24:00 EAT); a date-time with an offset is "
               "that moment (inclusive)"),
        _query("q", {"type": "string", "maxLength": 100, "pattern": NO_CONTROL},
               "Text in the reference, description or place named, or in the label of "
               "the county, sub-county or category (Turkana West finds turkana_west)"),
        _query("overdue", {"type": "string", "enum": ["true", "false"]},
               "Only reports with an alert past its deadline"),
    ]


def _review(summary: str, changed: str) -> dict:
    return {"post": {
        "summary": summary,
        "description": "For reports with status held (over their sender's report limit); "
                       "a release also applies to a dismissed report.  Audited.",
        "parameters": [REFERENCE],
        "responses": {
            "200": {"description": "Done", "content": {"application/json": {"schema": {
                "type": "object", "required": ["changed", "report"],
                "additionalProperties": False, "properties": {
                    "changed": {"type": "boolean", "description": changed},
                    "report": _ref("ReportDetail")}}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Forbidden"},
            "404": {"$ref": "#/components/responses/NotFound"},
            "409": {"$ref": "#/components/responses/Conflict"},
        }}}


def _incident_post(summary: str, body: str) -> dict:
    return {"post": {
        "summary": summary,
        "description": "Scoped by county like every incident; recorded on the incident's "
                       "timeline and in the audit log.",
        "parameters": [_id("incident_id")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(body)}}},
        "responses": {
            "200": _ok("IncidentDetail", "The incident after the change"),
            "400": {"$ref": "#/components/responses/BadRequest"},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "404": {"$ref": "#/components/responses/NotFound"},
            "409": {"$ref": "#/components/responses/Conflict"},
        }}}


@cache
def query_names(rule: str, method: str) -> frozenset:
    """The query parameters documented for a Flask URL rule."""
    path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule).removeprefix("/api/v1")
    operation = document()["paths"].get(path, {}).get(method.lower(), {})
    return frozenset(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")


def document(vocabulary: Vocabulary | None = None) -> dict:
    """The document, with the counties and categories of ``vocabulary`` (the
    live script's when served; the shipped script's by default)."""
    vocabulary = vocabulary or shipped_vocabulary()
    return _document(tuple(vocabulary.counties), tuple(vocabulary.categories),
                     tuple(vocabulary.sub_counties), tuple(vocabulary.languages))


@cache
def _document(county_values: tuple[str, ...], category_values: tuple[str, ...],
              sub_county_values: tuple[str, ...] = (), language_values: tuple[str, ...] = ()) -> dict:
    counties, categories = list(county_values), list(category_values)
    paths = {
        "/reports": _get("Reports the token may see, newest first", "ReportPage",
                         _report_filters(counties, categories, list(sub_county_values),
                                         list(language_values)) + PAGING),
        "/reports/{reference}": _get("One report with its timeline and alerts", "ReportDetail",
                                     [REFERENCE]),
        "/reports/{reference}/attachments/{key}": {"get": {
            "summary": "A photo, voice note or video of the report (its own content type)",
            "parameters": [REFERENCE, {"name": "key", "in": "path", "required": True,
                                       "schema": {"type": "string", "maxLength": 64}}],
            "responses": {
                "200": {"description": "The file, as stored (images without metadata)",
                        "content": {content_type: {"schema": {"type": "string",
                                                              "format": "binary"}}
                                    for content_type in DEFAULT_ALLOWED_TYPES}},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "404": {"$ref": "#/components/responses/NotFound"},
            }}},
        "/reports/{reference}/acknowledge": {"post": {
            "summary": "Acknowledge the report: stops escalation (idempotent)",
            "parameters": [REFERENCE],
            "responses": {
                "200": {"description": "Acknowledged", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["first", "report"], "properties": {
                        "first": {"type": "boolean",
                                  "description": "false when it was acknowledged already"},
                        "report": _ref("ReportDetail")}}}}},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "404": {"$ref": "#/components/responses/NotFound"},
            }}},
        "/reports/{reference}/release": _review(
            "Release a report held for review: it is routed now (admins; idempotent)",
            "false when it was released already (nothing was done again)"),
        "/reports/{reference}/dismiss": _review(
            "Dismiss a report held for review: it is never routed (admins; idempotent)",
            "false when it was dismissed already"),
        "/reports/{reference}/status": {"post": {
            "summary": "Set the report's status (adds a timeline event)",
            "parameters": [REFERENCE],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("StatusChange")}}},
            "responses": {
                "200": _ok("ReportDetail", "The report after the change"),
                "400": {"$ref": "#/components/responses/BadRequest"},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "404": {"$ref": "#/components/responses/NotFound"},
            }}},
        "/reports/{reference}/assign": {"post": {
            "summary": "Assign the report to an officer of its county or an admin, or to no "
                       "one (adds a timeline event; audited)",
            "parameters": [REFERENCE],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("Assignment")}}},
            "responses": {
                "200": {"description": "Assigned", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["changed", "report"],
                    "additionalProperties": False, "properties": {
                        "changed": {"type": "boolean",
                                    "description": "false when it was assigned so already"},
                        "report": _ref("ReportDetail")}}}}},
                "400": {"$ref": "#/components/responses/BadRequest"},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "404": {"$ref": "#/components/responses/NotFound"},
            }}},
        "/reports/{reference}/notes": {
            **_get("The report's notes, oldest first", "NotePage", [REFERENCE]),
            "post": {
                "summary": "Add a note to the report's timeline (audited)",
                "parameters": [REFERENCE],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("NewNote")}}},
                "responses": {
                    "201": _ok("Note", "The note added"),
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "404": {"$ref": "#/components/responses/NotFound"},
                }}},
        "/incidents": _get("Early-warning incidents of two reports or more (a single report "
                           "is not an incident) and those an officer acted on, newest first",
                           "IncidentPage", [
            _query("county", {"type": "string", "enum": counties}, "County"),
            _query("category", {"type": "string", "enum": categories}, "Category"),
            _query("status", {"type": "string", "enum": list(IncidentStatus)}, "Status"),
            *PAGING]),
        "/incidents/{incident_id}": _get("One incident with its reports and its timeline",
                                         "IncidentDetail", [_id("incident_id")]),
        "/incidents/{incident_id}/link": _incident_post(
            "Link a report to this incident (it leaves any other incident it was in)",
            "ReferenceBody"),
        "/incidents/{incident_id}/unlink": _incident_post(
            "Take a report out of this incident", "ReferenceBody"),
        "/incidents/{incident_id}/merge": _incident_post(
            "Merge another incident into this one: its reports move here, it is closed as merged",
            "MergeBody"),
        "/incidents/{incident_id}/close": _incident_post(
            "Close the incident with a reason", "CloseBody"),
        "/incidents/{incident_id}/status": _incident_post(
            "Set the status to open or monitoring (a closed incident stays closed: 409)",
            "IncidentStatusChange"),
        "/incidents/{incident_id}/notes": _incident_post(
            "Add a note to the incident's timeline", "NoteBody"),
        "/teams": _get("Teams and members (officers: their counties' and national teams)",
                       "TeamPage"),
        "/teams/{team_id}": _get("One team", "Team", [_id("team_id")]),
        "/messages": _get("The message ledger, newest first; numbers masked", "MessagePage", [
            _query("direction", {"type": "string", "enum": list(Direction)}, "Direction"),
            _query("channel", {"type": "string", "enum": list(LEDGER_CHANNELS)},
                   "Channel"),
            _query("report", {"type": "string", "maxLength": 16, "pattern": NO_CONTROL},
                   "A report's reference"),
            *PAGING]),
        "/me": _get("The token's user", "User"),
        "/shared/partner": _shared("The partner behind the token: its level and counties",
                                   "PartnerSelf", ()),
        "/shared/aggregates": _shared(
            "Counts per EAT week, county and category (every sharing level)",
            "SharedAggregateList", SHARED_PERIOD),
        "/shared/incidents": _shared(
            "Incidents, newest first, without report references (level incident or report)",
            "SharedIncidentPage", SHARED_PERIOD + PAGING),
        "/shared/reports": _shared(
            "Reports with descriptions, newest first, never reporter data (level report)",
            "SharedReportPage", SHARED_PERIOD + PAGING),
    }
    for path, item in paths.items():
        for method, operation in item.items():
            operation["operationId"] = (
                method + "".join(p.strip("{}").title().replace("_", "") for p in path.split("/"))
            )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Mpaka API", "version": VERSION,
            "description": "Reports, incidents, teams and the message ledger of an Mpaka "
                           "gateway.  Every request needs 'Authorization: Bearer <token>' "
                           "(`mpaka tokens create --user NAME`); a token sees what its user "
                           "sees.  A partner's token (`mpaka partners token NAME`) reads only "
                           "/shared, at the partner's sharing level.  Lists are paginated "
                           "with next_cursor.  See docs/api.md.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(counties, categories),
            "responses": RESPONSES,
        },
    }
