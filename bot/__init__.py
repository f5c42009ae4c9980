"""taskbot's service side: store, reminders, conversation, chat adapters, dashboard."""
