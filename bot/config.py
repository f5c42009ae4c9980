"""One typed settings object, loaded once from `taskbot.toml` and the environment.

Every key can be set by an environment variable `TASKBOT_<SECTION>_<KEY>` (top
level keys: `TASKBOT_<KEY>`); the environment wins over the file. A platform is
on when its section is present (in the file, or by any of its variables).
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.adapters import WEBCHAT, find_platform, platform_names

DEFAULT_DB = "sqlite:///tasks.db"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which key and why."""


class Section(BaseModel):
    """A config section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str = "http://127.0.0.1:8080"
    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks);
    # from anyone else the header is ignored, so a client cannot choose its own address.
    trusted_proxies: list[str] = Field(default_factory=list)
    # An uploaded plan or contacts sheet is read in a child process capped at this much
    # memory and CPU time (bot/worker.py); past either the upload is refused, naming it.
    upload_memory_mb: int = Field(default=1024, ge=128, le=65536)
    upload_seconds: float = Field(default=60.0, gt=0, le=3600)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, v: list[str]) -> list[str]:
        for item in v:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {item!r} is not an address or network"
                ) from None
        return v


class ReminderSettings(Section):
    # Day counts are bounded so that no calendar computation can leave the years a date
    # can hold (a typo of 3000000 days would otherwise crash every reminder pass).
    before_days: list[int] = Field(default_factory=lambda: [30, 7, 1])
    overdue_every_days: int = Field(default=3, ge=1, le=366)
    escalate_after_days: int = Field(default=5, ge=0, le=366)
    send_window: str = "09:00-17:30"
    calendar: str = "cn"
    progress_every_days: int = Field(default=30, ge=1, le=366)
    max_attempts: int = Field(default=6, ge=1, le=100)

    @field_validator("before_days")
    @classmethod
    def _before(cls, v: list[int]) -> list[int]:
        if any(not 0 <= d <= 366 for d in v):
            raise ValueError("before_days must be between 0 and 366 working days")
        return v

    @field_validator("send_window")
    @classmethod
    def _window(cls, v: str) -> str:
        try:
            start, end = v.split("-")
            for part in (start, end):
                h, m = part.split(":")
                if not (0 <= int(h) < 24 and 0 <= int(m) < 60):
                    raise ValueError
        except ValueError:
            raise ValueError(f"send_window must look like 09:00-17:30, not {v!r}") from None
        return v


class WebchatSettings(Section):
    enabled: bool = True
    # An admin-issued login link (`taskbot contacts link`) works once, within this many days.
    link_days: int = Field(default=7, ge=1, le=90)
    # A contact's chat login ends this many days after it began, however busy, and after
    # `idle_days` unused (never later than `session_days`).
    session_days: int = Field(default=30, ge=1, le=366)
    idle_days: int = Field(default=7, ge=1, le=366)


class Settings(BaseModel):
    """Everything configurable. Build with `load_settings`, then pass it down."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "Asia/Shanghai"
    database_url: str = DEFAULT_DB
    secret_key: str = ""
    server: ServerSettings = Field(default_factory=ServerSettings)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    webchat: WebchatSettings = Field(default_factory=WebchatSettings)
    # The other platforms' sections, by platform name (bot/adapters PLATFORMS), each typed
    # by its adapter's `settings_model`; a platform is on when its section is present.
    platforms: dict[str, Section] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _gather_platforms(cls, data: Any) -> Any:
        # [wecom] in the file, TASKBOT_WECOM_* or Settings(wecom=…) all mean platforms["wecom"].
        if not isinstance(data, dict):
            return data
        named = [n for n in _platform_sections() if n in data]
        if not named:
            return data
        data = dict(data)
        platforms = dict(data.get("platforms") or {})
        for name in named:
            platforms[name] = data.pop(name)
        data["platforms"] = platforms
        return data

    @field_validator("platforms", mode="before")
    @classmethod
    def _platform_sections_typed(cls, v: Any) -> dict[str, Section]:
        typed: dict[str, Section] = {}
        for name, raw in dict(v).items():
            spec = find_platform(name)
            if spec is None or name == WEBCHAT:
                raise ValueError(f"{name}: no such platform")
            model = spec.load().settings_model
            if isinstance(raw, model):
                typed[name] = raw
                continue
            try:
                typed[name] = model.model_validate(raw)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in (name, *first["loc"]))
                raise ValueError(f"{where}: {first['msg']}") from None
        return typed

    def platform(self, name: str) -> Section | None:
        """A configured platform's section (None: not configured)."""
        return self.platforms.get(name)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception:
            raise ValueError(f"unknown timezone {v!r}") from None
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_CORE_SECTIONS = ("server", "reminders", WEBCHAT)


def _platform_sections() -> tuple[str, ...]:
    return tuple(n for n in platform_names() if n not in _CORE_SECTIONS)


def _sections() -> tuple[str, ...]:
    return _CORE_SECTIONS + _platform_sections()


def _env_value(raw: str) -> Any:
    # Lists and numbers arrive as JSON ("[30, 7, 1]", "8080"); anything else is a string.
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _merge_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    sections = _sections()
    for name, raw in env.items():
        if not name.startswith("TASKBOT_"):
            continue
        rest = name[len("TASKBOT_") :].lower()
        section = next((s for s in sections if rest.startswith(s + "_")), None)
        if section is not None:
            key = rest[len(section) + 1 :]
            data.setdefault(section, {})[key] = _env_value(raw)
        elif rest in Settings.model_fields and rest not in (*sections, "platforms"):
            data[rest] = raw if rest in ("timezone", "secret_key") else _env_value(raw)


def load_settings(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    database_url: str | None = None,
) -> Settings:
    """Read the TOML file (if any), overlay the environment, validate once.

    The database URL is, in order: `database_url` (the `--db` option),
    `TASKBOT_DB`, `DATABASE_URL`, the file's `database_url`, `sqlite:///tasks.db`.
    """
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    if path is None and Path("taskbot.toml").is_file():
        path = Path("taskbot.toml")
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    _merge_env(data, env)
    url = database_url or env.get("TASKBOT_DB") or env.get("DATABASE_URL")
    if url:
        data["database_url"] = url
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where, msg = ".".join(str(p) for p in first["loc"]), first["msg"]
        if first["loc"][:1] == ("platforms",) and msg.startswith("Value error, "):
            where, _, msg = msg.removeprefix("Value error, ").partition(": ")
        raise ConfigError(f"bad configuration at {where}: {msg}") from None
