"""Dashboard accounts as admins manage them on the accounts page (bot/web/dashboard/accounts.py):
list, create a coordinator or admin, change a role, set or reset a password (which also
enables a disabled account), disable.

An account is a person's name, as at login: every coordinator/admin contact row of that
name shares one password and one role. Rules kept here, for every caller:
- the password policy of bot/web/passwords.py;
- there is always an enabled admin: no change that would leave none (an admin demoting or
  disabling themself as the last one) is made;
- a new password or a disable ends the person's sessions, in the same transaction;
- every change is audited with who did it, when and what — never the password.

Hashing is the caller's job (argon2 is slow: the dashboard does it off the event loop).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.adapters import WEBCHAT, platform_names
from bot.errors import UserError
from bot.store import repo
from bot.store.models import Role
from bot.store.repo import accounts as store
from bot.store.repo.sessions import revoke_contact_sessions
from bot.web.passwords import DASHBOARD_ROLES, password_problem

MAX_NAME, MAX_USER_ID = 100, 200
# Generated passwords: no 0/O, 1/l/I, so one read aloud or copied by hand still works.
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 14
ACTIONS = ("create_account", "set_role", "set_password", "disable_account")


class AccountRefused(UserError):
    """An account change refused: `str()` in English (CLI, logs), `zh` for the page."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: str  # "admin" when any of the person's rows is, else "coordinator"
    departments: tuple[str, ...]
    enabled: bool  # has a password
    contact_ids: tuple[int, ...]

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def check_password(password: str) -> None:
    """The password policy (bot/web/passwords.py), refused in both languages."""
    problem = password_problem(password)
    if problem is not None:
        raise AccountRefused(*problem)


def new_password() -> str:
    """A random password to show the admin once."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(GENERATED_LENGTH))


def list_accounts(session: Session) -> list[Account]:
    """Every person who may use the dashboard, by name."""
    grouped: dict[str, list[tuple[int, str, str, bool]]] = {}
    for c, dept in store.dashboard_rows(session):
        assert c.id is not None
        grouped.setdefault(c.name, []).append((c.id, c.role, dept, bool(c.password_hash)))
    out = []
    for name, rows in grouped.items():
        depts = tuple(dict.fromkeys(d for _, _, d, _ in rows))
        role = Role.ADMIN.value if any(r == Role.ADMIN for _, r, _, _ in rows) else "coordinator"
        enabled = any(p for _, _, _, p in rows)
        out.append(Account(name, role, depts, enabled, tuple(i for i, _, _, _ in rows)))
    return out


def get_account(session: Session, name: str) -> Account:
    found = next((a for a in list_accounts(session) if a.name == name), None)
    if found is None:
        raise AccountRefused(f"no dashboard account named {name}", f"没有名为{name}的看板账号")
    return found


def _keeps_an_admin(session: Session, name: str) -> None:
    """Refuse a change that would leave `name` as the last enabled admin gone."""
    others = [a for a in list_accounts(session) if a.is_admin and a.enabled and a.name != name]
    if not others:
        raise AccountRefused(
            f"{name} is the only enabled admin; make someone else an admin first",
            f"{name}是唯一启用的管理员，不能停用或降为督办；请先把另一位设为管理员",
        )


def create_account(
    session: Session,
    *,
    name: str,
    department: str,
    role: str,
    digest: str,
    actor: str,
    now: datetime,
    platform: str = WEBCHAT,
    user_id: str = "",
) -> Account:
    """A new coordinator or admin: a contact row of `department` (already canonical) with a
    password. The platform account defaults to a web chat id equal to the name."""
    name = " ".join(name.split())
    user_id = user_id.strip() or name
    if not name or len(name) > MAX_NAME:
        raise AccountRefused(
            f"name must be 1 to {MAX_NAME} characters", f"姓名应为1至{MAX_NAME}个字"
        )
    if role not in DASHBOARD_ROLES:
        raise AccountRefused("role must be coordinator or admin", "角色应为督办或管理员")
    if platform not in platform_names() or len(user_id) > MAX_USER_ID:
        raise AccountRefused(f"unknown platform {platform!r}", "平台或账号不正确")
    if any(a.name == name for a in list_accounts(session)):
        raise AccountRefused(
            f"{name} already has a dashboard account", f"{name}已有看板账号，可重置密码或修改角色"
        )
    row = store.add_contact_row(
        session,
        department=department,
        name=name,
        platform=platform,
        user_id=user_id,
        role=role,
        password_hash=digest,
        now=now,
    )
    if row is None:
        raise AccountRefused(
            f"{platform} account {user_id} is already a contact of {department}",
            f"{department}已有账号为 {user_id} 的联络人",
        )
    repo.audit(
        session,
        actor=actor,
        action="create_account",
        detail={"name": name, "role": role, "department": department},
        now=now,
    )
    return get_account(session, name)


def change_role(session: Session, name: str, role: str, *, actor: str, now: datetime) -> bool:
    """Make `name` a coordinator or an admin; False when they already are."""
    if role not in DASHBOARD_ROLES:
        raise AccountRefused("role must be coordinator or admin", "角色应为督办或管理员")
    account = get_account(session, name)
    if account.role == role and all(
        c.role == role for c in repo.find_contacts_by_name(session, name) if c.is_coordinator
    ):
        return False
    if account.is_admin and role != Role.ADMIN and account.enabled:
        _keeps_an_admin(session, name)
    store.set_role(session, account.contact_ids, role)
    repo.audit(
        session,
        actor=actor,
        action="set_role",
        detail={"name": name, "from": account.role, "to": role},
        now=now,
    )
    return True


def reset_password(
    session: Session, name: str, digest: str, *, actor: str, now: datetime, generated: bool
) -> Account:
    """Set `name`'s password (enabling a disabled account); ends their sessions."""
    account = get_account(session, name)
    for cid in account.contact_ids:
        repo.set_password_hash(session, cid, digest)
    ended = revoke_contact_sessions(session, account.contact_ids, now=now, kind="dash")
    repo.audit(
        session,
        actor=actor,
        action="set_password",
        detail={
            "name": name,
            "enabled": not account.enabled,
            "generated": generated,
            "sessions_ended": ended,
        },
        now=now,
    )
    return account


def disable(session: Session, name: str, *, actor: str, now: datetime) -> int:
    """Take `name`'s password away and end their dashboard sessions; returns how many ended.
    (Their web chat, if any, is the contacts page's 停用聊天: bot/store/repo/links.py.)"""
    account = get_account(session, name)
    if account.is_admin and account.enabled:
        _keeps_an_admin(session, name)
    for cid in account.contact_ids:
        repo.set_password_hash(session, cid, None)
    ended = revoke_contact_sessions(session, account.contact_ids, now=now, kind="dash")
    repo.audit(
        session,
        actor=actor,
        action="disable_account",
        detail={"name": name, "sessions_ended": ended},
        now=now,
    )
    return ended
