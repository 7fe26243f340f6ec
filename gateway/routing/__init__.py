"""From a stored report to the teams that must act: rules, alerts, escalation, incidents, team commands."""
