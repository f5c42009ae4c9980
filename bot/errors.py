"""Errors that reach the user as one line, with the exit code interfaces.md gives them."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user (a file, an argument, a row): exit code 2."""

    exit_code = 2


class ServiceError(Exception):
    """Something outside the user's input failed (database locked, server down): exit code 1."""

    exit_code = 1


class DatabaseBusy(ServiceError):
    """Another writer held the database past the busy timeout (SQLite); worth retrying."""
