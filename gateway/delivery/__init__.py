"""The one sending path: the outbox and its providers."""
