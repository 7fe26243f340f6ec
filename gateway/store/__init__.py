"""Persistence: the SQL models and migrations, the message ledger, shared queries, script versions, the funnel and seed data."""
