from __future__ import annotations

import re
from pathlib import Path

import pytest

from loglens.config import SETTINGS, ConfigError, defaults, load, store_path

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_match_the_spec_table() -> None:
    # the spec bound 0.0.0.0; loopback is the safe default now (README "Security")
    cfg = defaults()
    assert (cfg["server"]["host"], cfg["server"]["port"]) == (
        "127.0.0.1",
        5000,
    )
    assert cfg["analytics"]["max_buckets"] == 60
    alerting = cfg["alerting"]
    assert (alerting["error_rate_threshold"], alerting["high_volume_threshold"]) == (0.10, 100)
    assert (alerting["service_down_minutes"], alerting["cooldown_seconds"]) == (2, 300)
    assert cfg["storage"]["max_logs"] == 5_000_000 and cfg["storage"]["retention_days"] == 7


def test_yaml_file_is_deep_merged_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("alerting:\n  error_rate_threshold: 0.25\nserver:\n  port: 8080\n")
    cfg = load(path, env={})
    assert cfg["alerting"]["error_rate_threshold"] == 0.25 and cfg["alerting"]["cooldown_seconds"] == 300
    assert cfg["server"]["port"] == 8080 and cfg["server"]["host"] == "127.0.0.1"


def test_config_path_env_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("storage:\n  max_logs: 42\n")
    assert load(env={"CONFIG_PATH": str(path)})["storage"]["max_logs"] == 42


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("server:\n  port: 8080\n")
    env = {"LOGLENS_SERVER_PORT": "9090", "LOGLENS_ALERTING_ERROR_RATE_THRESHOLD": "0.3"}
    cfg = load(path, env=env)
    assert cfg["server"]["port"] == 9090 and cfg["alerting"]["error_rate_threshold"] == 0.3
    handlers = load(env={"LOGLENS_ALERTING_HANDLERS": "[{type: log}]"})["alerting"]["handlers"]
    assert handlers == [{"type": "log"}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("server:\n  prot: 1\n", "unknown key server.prot"),
        ("sevrer:\n  port: 1\n", "unknown section 'sevrer'"),
        ("server:\n  port: high\n", "server.port: expected int"),
        ("server:\n  port: 70000\n", "server.port: must be <="),
        ("alerting:\n  error_rate_threshold: 2\n", "alerting.error_rate_threshold"),
        ("storage:\n  backend: mysql\n", "storage.backend: must be one of"),
        ("alerting:\n  handlers: [{type: webhook}]\n", "needs a 'url'"),
        ("server: [1, 2]\n", "section 'server' must be a mapping"),
        ("server:\n  port: [\n", "not valid YAML"),
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
    cfg = defaults()
    assert store_path(cfg) == str(Path("./data") / "loglens.db")
    cfg["storage"]["path"] = ":memory:"
    assert store_path(cfg) == ":memory:"


def test_repo_config_yaml_is_valid() -> None:
    cfg = load(ROOT / "config.yaml", env={})
    assert cfg["server"]["port"] == 5000


def test_every_setting_is_documented_in_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"{section}.{key}"
        for section, keys in SETTINGS.items()
        for key in keys
        if not re.search(rf"\|\s*`{section}`\s*\|\s*`{key}`\s*\|", readme)
    ]
    assert missing == []


def test_auth_and_simulator_settings_from_yaml_and_environment(tmp_path: Path) -> None:
    from loglens.config import simulator_enabled

    cfg = load(env={"LOGLENS_API_KEY": "llk_x_y", "LOGLENS_URL": "http://x"})  # client variables are not settings
    assert cfg["auth"]["enabled"] is False and simulator_enabled(cfg) is True
    cfg = load(env={"LOGLENS_AUTH_ENABLED": "true", "LOGLENS_SERVER_ALLOWED_HOSTS": "[logs.example.com]"})
    assert cfg["auth"]["enabled"] is True and cfg["server"]["allowed_hosts"] == ["logs.example.com"]
    assert simulator_enabled(cfg) is False  # null: on only while auth is off
    path = tmp_path / "c.yaml"
    path.write_text("auth: {enabled: true}\nsimulator: {enabled: true}\n")
    assert simulator_enabled(load(path, env={})) is True
    path.write_text("simulator: {enabled: null}\n")
    assert load(path, env={})["simulator"]["enabled"] is None
    with pytest.raises(ConfigError, match="simulator.enabled: expected bool"):
        load(env={"LOGLENS_SIMULATOR_ENABLED": "sometimes"})
    with pytest.raises(ConfigError, match=r"server.allowed_hosts\[0\]"):
        load(env={"LOGLENS_SERVER_ALLOWED_HOSTS": "[1]"})


def test_make_run_passes_a_port_only_when_given() -> None:
    import shutil
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    def serve_line(*args: str) -> str:
        out = subprocess.run(["make", "-n", "-C", str(root), "run", *args], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return next(line for line in out.stdout.splitlines() if "loglens serve" in line)

    assert "--port" not in serve_line()  # server.port from config.yaml / LOGLENS_SERVER_PORT applies
    assert "--port 8123" in serve_line("PORT=8123")
