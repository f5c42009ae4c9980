"""Getting messages out: the durable outbox sender (claim, send, mark: exactly once across
crashes and workers) and the background loops that run it and the reminder pass."""
