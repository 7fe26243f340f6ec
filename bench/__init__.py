"""Mpaka's benchmark harness: ``python -m bench`` (or ``make bench``).

Every benchmark starts its own processes on loopback (a private
``redis-server``, gunicorn, RQ workers, a fake Africa's Talking) and compares
against a baseline measured in the same run.  See BENCHMARKS.md.
"""
