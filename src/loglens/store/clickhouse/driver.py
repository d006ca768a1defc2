"""clickhouse-driver is the `loglens[clickhouse]` extra, not in the runtime set that `make run` installs.

The package imports this module first, so a ClickHouse store without the driver stops with one line saying how
to install it (StoreError: `loglens serve` and `loglens keys` print it and exit 2), not with an ImportError.
"""

from __future__ import annotations

from ..base import StoreError

MISSING_DRIVER = (
    "storage.backend is clickhouse, but the ClickHouse driver is not installed: pip install 'loglens[clickhouse]' "
    "(in a clone: .venv/bin/pip install -e '.[clickhouse]')"
)

try:
    import clickhouse_driver  # noqa: F401
except ImportError:
    raise StoreError(MISSING_DRIVER) from None
