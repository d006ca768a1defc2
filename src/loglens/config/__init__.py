"""Settings: declared once (sections.py), read once at startup into one frozen `Settings` (load.py).

Built-in defaults, deep-merged with config.yaml, then LOGLENS_* environment variables. Each part of the server
takes the section it uses (`settings.storage`, `settings.alerting`, ...). docs/configuration.md, the reference
for users, is generated from the declarations (reference.py); a test fails when it is stale.
"""

from __future__ import annotations

from .declare import Key, Setting, keys, plain
from .load import CLIENT_ENV, CONFIG_ENV, ConfigError, env_names, load
from .sections import (
    AlertingSettings,
    AlertmanagerHandlerSpec,
    AlertRuleSpec,
    AnalyticsSettings,
    AppriseHandlerSpec,
    AuthSettings,
    ClickHouseSettings,
    DashboardSettings,
    EmailHandlerSpec,
    HandlerSpec,
    IngestSettings,
    LogHandlerSpec,
    SearchSettings,
    ServerSettings,
    Settings,
    SimulatorSettings,
    StorageSettings,
    WebhookHandlerSpec,
)

__all__ = [
    "CLIENT_ENV",
    "CONFIG_ENV",
    "SETTINGS",
    "AlertRuleSpec",
    "AlertingSettings",
    "AlertmanagerHandlerSpec",
    "AppriseHandlerSpec",
    "AnalyticsSettings",
    "AuthSettings",
    "ClickHouseSettings",
    "ConfigError",
    "DashboardSettings",
    "EmailHandlerSpec",
    "HandlerSpec",
    "IngestSettings",
    "Key",
    "LogHandlerSpec",
    "SearchSettings",
    "ServerSettings",
    "Setting",
    "Settings",
    "SimulatorSettings",
    "StorageSettings",
    "WebhookHandlerSpec",
    "env_names",
    "load",
    "plain",
    "simulator_enabled",
    "store_path",
]

# Every declared key (sections, their keys, nested keys), in declaration order: what the reference documents.
SETTINGS: tuple[Key, ...] = tuple(keys(Settings))


def store_path(settings: Settings) -> str:
    """The SQLite file: storage.path, else DATA_DIR/loglens.db."""
    return settings.storage.sqlite_path


def simulator_enabled(settings: Settings) -> bool:
    """simulator.enabled, with null meaning: on while auth is off."""
    return settings.simulator_enabled
