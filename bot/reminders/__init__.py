"""Reminders: `policy` decides who is reminded of what and when (pure: facts and a clock in,
planned messages out); `service` runs a pass (store facts -> policy -> templates -> outbox)."""
