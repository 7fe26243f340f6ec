"""Mpaka, the community reporting gateway.  ``gateway.app.create_app`` builds
the web application; ``ARCHITECTURE.md`` at the top of the repository maps the
packages below and the layers they keep."""
