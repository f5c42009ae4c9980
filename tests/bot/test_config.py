"""Settings: one typed object from taskbot.toml and TASKBOT_* variables, with clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_DB, ConfigError, load_settings

TOML = """
timezone = "Asia/Shanghai"
[server]
port = 9000
public_url = "https://bot.example.gov.cn"
[reminders]
before_days = [14, 3]
send_window = "08:30-18:00"
[matrix]
homeserver = "http://127.0.0.1:8008"
user_id = "@taskbot:localhost"
password = "from-file"
"""


def _file(tmp_path: Path, text: str = TOML) -> Path:
    p = tmp_path / "taskbot.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_file_values_and_defaults(tmp_path: Path) -> None:
    s = load_settings(_file(tmp_path), env={})
    assert s.server.port == 9000 and s.server.host == "127.0.0.1"
    assert s.reminders.before_days == [14, 3] and s.reminders.overdue_every_days == 3
    assert (m := s.platform("matrix")) is not None and m.password == "from-file"
    assert (
        s.platform("wecom") is None
        and s.platform("dingtalk") is None
        and s.platform("feishu") is None
    )
    assert s.database_url == DEFAULT_DB


def test_environment_wins_and_turns_platforms_on(tmp_path: Path) -> None:
    env = {
        "TASKBOT_SERVER_PORT": "9090",
        "TASKBOT_REMINDERS_BEFORE_DAYS": "[7, 1]",
        "TASKBOT_MATRIX_PASSWORD": "from-env",
        "TASKBOT_WECOM_CORP_ID": "ww123",
        "TASKBOT_WECOM_AGENT_ID": "1000002",
        "TASKBOT_WECOM_SECRET": "s",
        "TASKBOT_WECOM_TOKEN": "t",
        "TASKBOT_WECOM_ENCODING_AES_KEY": "k" * 43,
    }
    s = load_settings(_file(tmp_path), env=env)
    assert s.server.port == 9090
    assert s.reminders.before_days == [7, 1]
    assert (m := s.platform("matrix")) is not None and m.password == "from-env"
    assert (
        (w := s.platform("wecom")) is not None and w.agent_id == 1000002 and w.corp_id == "ww123"
    )


def test_database_url_precedence(tmp_path: Path) -> None:
    f = _file(tmp_path, 'database_url = "sqlite:///file.db"\n' + TOML)
    env = {"DATABASE_URL": "postgresql://x/env", "TASKBOT_DB": "sqlite:///taskbot-db.db"}
    assert load_settings(f, env={}).database_url == "sqlite:///file.db"
    assert load_settings(f, env={"DATABASE_URL": "postgresql://x/env"}).database_url == (
        "postgresql://x/env"
    )
    assert load_settings(f, env=env).database_url == "sqlite:///taskbot-db.db"
    assert load_settings(f, env=env, database_url="sqlite:///opt.db").database_url == (
        "sqlite:///opt.db"
    )


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("[server\nport = 1", "not valid TOML"),
        ("[server]\nprot = 1", "server.prot"),
        ('[reminders]\nsend_window = "9-5"', "send_window"),
        ('timezone = "Mars/Olympus"', "timezone"),
        ('[wecom]\ncorp_id = "x"', "wecom"),
    ],
)
def test_bad_configuration_is_one_clear_error(tmp_path: Path, text: str, expect: str) -> None:
    with pytest.raises(ConfigError, match=expect):
        load_settings(_file(tmp_path, text), env={})


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_cli_reports_a_bad_config_in_one_line(tmp_path: Path) -> None:
    bad = _file(tmp_path, "[server]\nport = 'eighty'\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "--config", str(bad), "tasks"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("taskbot: error: bad configuration at server.port")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_trusted_proxies_and_day_counts_are_checked() -> None:
    from bot.config import ConfigError, load_settings

    ok = load_settings(env={"TASKBOT_SERVER_TRUSTED_PROXIES": '["10.0.0.1", "10.1.0.0/16"]'})
    assert ok.server.trusted_proxies == ["10.0.0.1", "10.1.0.0/16"]
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_settings(env={"TASKBOT_SERVER_TRUSTED_PROXIES": '["proxy.example"]'})
    with pytest.raises(ConfigError, match="before_days"):
        load_settings(env={"TASKBOT_REMINDERS_BEFORE_DAYS": "[3000000]"})
