"""The WSGI entry point for gunicorn: ``gunicorn wsgi:app``.

A setting the app refuses (``ConfigError``) is printed as plain lines on
stderr and the process exits with gunicorn's "app failed to load" status, so
gunicorn stops instead of logging a traceback per worker and respawning them.
(``gunicorn.conf.py`` runs production mode's checks in the master first.)
"""

from gateway.app import create_app
from gateway.core import production
from gateway.errors import ConfigError

#: gunicorn's exit status for "App failed to load": the master halts.
APP_LOAD_ERROR = 4

try:
    app = create_app()
except ConfigError as exc:
    production.print_refusal(exc)
    raise SystemExit(APP_LOAD_ERROR) from None
