"""The built-in web chat: the adapter (login by link, the chat page, long-poll history) and its
view of the store (the chat log)."""
