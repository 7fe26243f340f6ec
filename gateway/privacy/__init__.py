"""Reporters' numbers: encryption and keyed hashes, retention and erasure."""
