"""From an inbound message to a stored report: the conversation host, abuse limits, report storage."""
