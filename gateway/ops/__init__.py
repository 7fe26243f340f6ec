"""Operations: structured logs, metric counters, progress output."""
