"""One chat message in, one reply out: what a message says (intents, words, dates), which task it
means (matching), and what each kind of message does (status changes, questions, queries,
decisions). `handler.Conversation` is the entry."""
