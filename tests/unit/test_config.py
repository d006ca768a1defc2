"""Settings: defaults < config.yaml < LOGLENS_* < overrides, read into one frozen `Settings`; every key, nested
ones included, declared once and checked at startup."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loglens.config import SETTINGS, ConfigError, Settings, WebhookHandlerSpec, env_names, load, plain, store_path

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_match_the_spec_table() -> None:
    # the spec bound 0.0.0.0; loopback is the safe default now (docs/configuration.md)
    cfg = Settings()
    assert (cfg.server.host, cfg.server.port) == ("127.0.0.1", 5000)
    assert cfg.analytics.max_buckets == 60
    alerting = cfg.alerting
    assert (alerting.error_rate_threshold, alerting.high_volume_threshold) == (0.10, 100)
    assert (alerting.service_down_minutes, alerting.cooldown_seconds) == (2, 300)
    assert cfg.storage.max_logs == 5_000_000 and cfg.storage.retention_days == 7


def test_settings_are_frozen() -> None:
    cfg = load(env={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.server.port = 1  # type: ignore[misc]


def test_yaml_file_is_deep_merged_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("alerting:\n  error_rate_threshold: 0.25\nserver:\n  port: 8080\n")
    cfg = load(path, env={})
    assert cfg.alerting.error_rate_threshold == 0.25 and cfg.alerting.cooldown_seconds == 300
    assert cfg.server.port == 8080 and cfg.server.host == "127.0.0.1"


def test_config_path_env_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("storage:\n  max_logs: 42\n")
    assert load(env={"CONFIG_PATH": str(path)}).storage.max_logs == 42


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("server:\n  port: 8080\n")
    env = {"LOGLENS_SERVER_PORT": "9090", "LOGLENS_ALERTING_ERROR_RATE_THRESHOLD": "0.3"}
    cfg = load(path, env=env)
    assert cfg.server.port == 9090 and cfg.alerting.error_rate_threshold == 0.3
    handlers = load(env={"LOGLENS_ALERTING_HANDLERS": "[{type: log}]"}).alerting.handlers
    assert plain(handlers) == [{"type": "log", "name": None}]


def test_webhook_handler_keys_are_typed_with_their_defaults() -> None:
    specs = [{"type": "webhook", "url": "https://hooks.example/x", "retries": 1, "headers": {"X-Token": "t"}}]
    (hook,) = load(env={}, overrides={"alerting": {"handlers": specs}}).alerting.handlers
    assert hook == WebhookHandlerSpec(url="https://hooks.example/x", retries=1, headers={"X-Token": "t"})
    assert (hook.timeout_seconds, hook.backoff_seconds) == (5.0, 0.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("server:\n  prot: 1\n", "unknown key server.prot (did you mean port?)"),
        ("sevrer:\n  port: 1\n", "unknown section 'sevrer'"),
        ("server:\n  port: high\n", "server.port: expected int"),
        ("server:\n  port: 70000\n", "server.port: must be <="),
        ("alerting:\n  error_rate_threshold: 2\n", "alerting.error_rate_threshold"),
        ("storage:\n  backend: mysql\n", "storage.backend: must be one of"),
        ("alerting:\n  handlers: [{type: webhook}]\n", "needs a 'url'"),
        ("server: [1, 2]\n", "section 'server' must be a mapping"),
        ("server:\n  port: [\n", "not valid YAML"),
        # nested keys: a typo in a handler or in storage.clickhouse is an error naming its path
        (
            "alerting:\n  handlers: [{type: webhook, url: 'http://h/x', timeout: 5}]\n",
            "unknown key alerting.handlers[0].timeout (did you mean timeout_seconds?)",
        ),
        ("alerting:\n  handlers: [{type: log, url: 'http://h/x'}]\n", "unknown key alerting.handlers[0].url"),
        ("alerting:\n  handlers: [{type: pager}]\n", "alerting.handlers[0]: unknown type 'pager'"),
        ("alerting:\n  handlers: [{url: 'http://h/x'}]\n", "alerting.handlers[0]: each entry needs a 'type'"),
        ("alerting:\n  handlers: [{type: webhook, url: ftp://h}]\n", "alerting.handlers[0].url: must be an http(s)"),
        (
            "alerting:\n  handlers: [{type: webhook, url: 'http://h/x', retries: -1}]\n",
            "alerting.handlers[0].retries: must be >= 0",
        ),
        ("alerting:\n  handlers: {type: log}\n", "alerting.handlers: expected a list"),
        ("storage:\n  clickhouse: {hots: x}\n", "unknown key storage.clickhouse.hots"),
        ("storage:\n  clickhouse: 5\n", "storage.clickhouse must be a mapping"),
        ("server:\n  http2: 1\n", "server.http2: expected bool"),
    ],
)
def test_bad_config_stops_with_message_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(path, env={})


def test_unknown_environment_setting_is_rejected() -> None:
    with pytest.raises(ConfigError, match="LOGLENS_SERVER_PROT"):
        load(env={"LOGLENS_SERVER_PROT": "1"})


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load(tmp_path / "nope.yaml", env={})


def test_store_path_defaults_under_data_dir() -> None:
    cfg = Settings()
    assert store_path(cfg) == str(Path("./data") / "loglens.db")
    assert store_path(load(env={}, overrides={"storage": {"path": ":memory:"}})) == ":memory:"


def test_repo_config_yaml_is_valid() -> None:
    cfg = load(ROOT / "config.yaml", env={})
    assert cfg.server.port == 5000


def test_every_key_has_help_and_every_variable_names_one_key() -> None:
    assert all(key.setting.help.strip() for key in SETTINGS)
    variables = [key.env for key in SETTINGS if key.env is not None]
    assert len(variables) == len(set(variables)) == len(env_names())
    assert "LOGLENS_STORAGE_CLICKHOUSE_PASSWORD" in variables and "LOGLENS_SERVER" not in variables


def test_defaults_pass_their_own_checks_and_settings_round_trip_as_yaml_data() -> None:
    assert load(env={}, overrides=plain(Settings())) == Settings()  # every default within its declared bounds
    changed = load(env={}, overrides={"alerting": {"handlers": [{"type": "webhook", "url": "http://h/x"}]}})
    assert load(env={}, overrides=plain(changed)) == changed


def test_auth_and_simulator_settings_from_yaml_and_environment(tmp_path: Path) -> None:
    cfg = load(env={"LOGLENS_API_KEY": "llk_x_y", "LOGLENS_URL": "http://x"})  # client variables are not settings
    assert cfg.auth.enabled is False and cfg.simulator_enabled is True
    cfg = load(env={"LOGLENS_AUTH_ENABLED": "true", "LOGLENS_SERVER_ALLOWED_HOSTS": "[logs.example.com]"})
    assert cfg.auth.enabled is True and cfg.server.allowed_hosts == ("logs.example.com",)
    assert cfg.simulator_enabled is False  # null: on only while auth is off
    path = tmp_path / "c.yaml"
    path.write_text("auth: {enabled: true}\nsimulator: {enabled: true}\n")
    assert load(path, env={}).simulator_enabled is True
    path.write_text("simulator: {enabled: null}\n")
    assert load(path, env={}).simulator.enabled is None
    with pytest.raises(ConfigError, match="simulator.enabled: expected bool"):
        load(env={"LOGLENS_SIMULATOR_ENABLED": "sometimes"})
    with pytest.raises(ConfigError, match=r"server.allowed_hosts\[0\]"):
        load(env={"LOGLENS_SERVER_ALLOWED_HOSTS": "[1]"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alerting:\n  handlers: [{type: webhook, url: 'http://h/x', timeout: 5}]\n", "alerting.handlers[0].timeout"),
        ("storage:\n  clickhouse: {hots: x}\n", "storage.clickhouse.hots"),
        ("server:\n  prot: 1\n", "server.prot"),
    ],
)
def test_serve_with_a_bad_key_exits_2_with_one_line_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "loglens", "serve", "--config", str(path), "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("loglens: configuration error: ") and message in done.stderr


def test_make_run_passes_a_port_only_when_given() -> None:
    import shutil

    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    def serve_line(*args: str) -> str:
        out = subprocess.run(["make", "-n", "-C", str(ROOT), "run", *args], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return next(line for line in out.stdout.splitlines() if "loglens serve" in line)

    assert "--port" not in serve_line()  # server.port from config.yaml / LOGLENS_SERVER_PORT applies
    assert "--port 8123" in serve_line("PORT=8123")
