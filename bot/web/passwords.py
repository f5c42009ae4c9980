"""Dashboard passwords: argon2id hashes on coordinator and admin contact rows.

Shared by `taskbot users set-password` and the dashboard's login; no web imports here, so
the command line stays light.
"""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session

from bot.errors import UserError
from bot.store import repo
from bot.store.models import Role
from bot.store.repo import ContactView
from bot.store.repo.sessions import revoke_contact_sessions

MIN_LENGTH = 8
MAX_LENGTH = 1000  # the login form reads no more than this
DASHBOARD_ROLES = (Role.COORDINATOR.value, Role.ADMIN.value)


def make_hasher() -> PasswordHasher:
    """argon2id with the library's current defaults (tuned by argon2-cffi, not by us)."""
    return PasswordHasher()


def password_problem(password: str) -> tuple[str, str] | None:
    """The one password policy, for the command line and the dashboard: what is wrong with
    `password` (English, Chinese), or None."""
    if len(password) < MIN_LENGTH:
        return (
            f"password too short: use at least {MIN_LENGTH} characters",
            f"密码太短：至少{MIN_LENGTH}个字符",
        )
    if len(password) > MAX_LENGTH:
        return (
            f"password longer than {MAX_LENGTH} characters",
            f"密码不能超过{MAX_LENGTH}个字符",
        )
    return None


def check_new_password(password: str) -> None:
    problem = password_problem(password)
    if problem is not None:
        raise UserError(problem[0])


def accounts_named(session: Session, name: str) -> list[ContactView]:
    """The contact rows that may log in to the dashboard under `name`."""
    return [c for c in repo.find_contacts_by_name(session, name) if c.role in DASHBOARD_ROLES]


def set_password(
    session: Session,
    name: str,
    password: str,
    hasher: PasswordHasher,
    *,
    now: datetime | None = None,
) -> int:
    """Hash `password` onto every coordinator/admin row of `name`; returns how many rows.

    A person with rows on several platforms has one dashboard password.
    """
    check_new_password(password)
    rows = accounts_named(session, name)
    if not rows:
        others = repo.find_contacts_by_name(session, name)
        if others:
            raise UserError(
                f"{name} is a {others[0].role}; only coordinators and admins use the dashboard"
            )
        raise UserError(f"no contact named {name}; import contacts first")
    digest = hasher.hash(password)
    for row in rows:
        repo.set_password_hash(session, row.id, digest)
    # A new password ends every session granted under the old one (a leaked password is
    # the usual reason to change it), in the same transaction as the change.
    revoke_contact_sessions(session, [r.id for r in rows], now=now or datetime.now(UTC))
    repo.audit(session, actor="cli", action="set_password", detail={"name": name})
    return len(rows)


def disable_account(session: Session, name: str, *, now: datetime | None = None) -> int:
    """Take `name`'s dashboard password away and end all of their sessions (dashboard and
    web chat); returns how many contact rows were changed."""
    rows = repo.find_contacts_by_name(session, name)
    if not rows:
        raise UserError(f"no contact named {name}")
    for row in rows:
        repo.set_password_hash(session, row.id, None)
    revoke_contact_sessions(session, [r.id for r in rows], now=now or datetime.now(UTC))
    repo.audit(session, actor="cli", action="disable_account", detail={"name": name})
    return len(rows)


def verify(hasher: PasswordHasher, digest: str | None, password: str) -> bool:
    """Whether `password` matches `digest` (False for a missing or malformed hash)."""
    if not digest:
        return False
    try:
        return hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False
