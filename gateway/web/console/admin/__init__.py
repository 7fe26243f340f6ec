"""Administration (admins only): teams with their members and agency
endpoints, routing rules, the escalation policy, users, the message ledger
and the audit log."""

from ..common import console_blueprint

bp = console_blueprint("admin", "/console/admin", admin_only=True)

from . import counties, partners, records, rules, teams, users  # noqa: E402,F401  (views register on bp)
