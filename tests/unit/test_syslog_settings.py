"""The ingest.syslog setting: off by default, from YAML or the environment, refusing what it must."""

from __future__ import annotations

import pytest

from loglens.config import ConfigError, load
from loglens.ingest.syslog.settings import SyslogSettings, read_settings


def test_syslog_setting_is_off_by_default_and_read_from_yaml_or_environment() -> None:
    assert read_settings(load(env={})) == SyslogSettings()
    cfg = load(env={"LOGLENS_INGEST_SYSLOG": '{tcp: "127.0.0.1:5514"}'})
    assert read_settings(cfg).tcp == ("127.0.0.1", 5514) and read_settings(cfg).udp is None
    cfg = load(env={}, overrides={"ingest": {"syslog": {"udp": "[::1]:6514", "tcp": "localhost:6514"}}})
    assert read_settings(cfg).udp == ("::1", 6514) and read_settings(cfg).tcp == ("127.0.0.1", 6514)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"tcp": "0.0.0.0:5514"}, "refusing to listen on '0.0.0.0'"),
        ({"udp": "192.0.2.1:514"}, "allow_remote"),
        ({"tcp": "127.0.0.1"}, "HOST:PORT"),
        ({"tcp": "logs.example.com:514"}, "not an IP address"),
        ({"tcp": "127.0.0.1:5514", "tls_cert": "c.pem"}, "both tls_cert and tls_key"),
        ({"udp": "127.0.0.1:5514", "tls_cert": "c.pem", "tls_key": "k.pem"}, "set tcp"),
        ({"tcp": "127.0.0.1:1", "port": 5}, "unknown key ingest.syslog.port"),
        ({"tcp": "127.0.0.1:1", "max_connections": 0}, "max_connections"),
        ("127.0.0.1:5514", "must be a mapping"),
    ],
)
def test_bad_syslog_settings_stop_loading_naming_the_key(value: object, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        load(env={}, overrides={"ingest": {"syslog": value}})


def test_a_remote_address_is_accepted_when_said_to_be_meant() -> None:
    cfg = load(env={}, overrides={"ingest": {"syslog": {"tcp": "0.0.0.0:5514", "allow_remote": True}}})
    assert read_settings(cfg).tcp == ("0.0.0.0", 5514)
