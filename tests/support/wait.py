"""Waiting with a deadline: the one polling loop of the tests. Every wait fails clearly after bounded time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float, what: str, *, interval: float = 0.05) -> T:
    """Call `condition` until it returns something true, and return that; after `timeout` seconds fail with
    `what` (what was awaited) and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting until {what} (last seen: {value!r})")
        time.sleep(interval)


def eventually(check: Callable[[], T], timeout: float = 8.0, *, interval: float = 0.1) -> T:
    """Call `check` until it stops raising AssertionError, and return its result; after `timeout` seconds its
    last AssertionError propagates (for checks made of several asserts, such as a page's contents)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)
