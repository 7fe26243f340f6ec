"""The ``mpaka`` command."""
