"""RQ jobs.  Each job is a few lines: load what it needs by id, call into
``gateway`` or ``handlers``.  Jobs take ids or JSON-serialisable values only
(RQ's JSON serializer)."""
