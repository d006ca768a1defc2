from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.live import LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real `loglens serve` shared by a module's tests (each test uses its own service names)."""
    with LiveServer(tmp_path_factory.mktemp("live")) as live:
        yield live
