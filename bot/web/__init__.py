"""HTTP faces of the bot: the built-in web chat and the coordinators' dashboard."""
