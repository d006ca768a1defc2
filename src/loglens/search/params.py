"""Search request parameters shared by the API and the CLI: time bounds (RFC 3339 or relative) and cursors."""

from __future__ import annotations

import base64
import binascii
import re

from ..model import parse_timestamp_ms

RELATIVE_RE = re.compile(r"(\d{1,9})(s|m|h|d|w)")
UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
CURSOR_PREFIX = b"c1:"


def parse_time(value: str, now_ms: int) -> int:
    """`15m`, `2h`, `7d` (that long before now) or an RFC 3339 date-time -> epoch ms. Raises ValueError."""
    text = value.strip()
    relative = RELATIVE_RE.fullmatch(text)
    if relative is not None:
        return now_ms - int(relative.group(1)) * UNIT_MS[relative.group(2)]
    if "T" not in text.upper() and " " not in text:
        raise ValueError(f"expected RFC 3339 (2024-01-15T14:30:00Z) or relative (15m, 2h, 7d), got {value!r}")
    try:
        return parse_timestamp_ms(text)
    except (ValueError, OverflowError, OSError):
        raise ValueError(
            f"expected RFC 3339 with an offset (2024-01-15T14:30:00Z) or relative (15m, 2h, 7d), got {value!r}"
        ) from None


def encode_cursor(ts_ms: int, log_id: int) -> str:
    return base64.urlsafe_b64encode(CURSOR_PREFIX + f"{ts_ms}:{log_id}".encode()).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[int, int]:
    """The (ts_ms, id) keyset position of an opaque cursor. Raises ValueError."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("cursor is not one this server issued") from None
    if not raw.startswith(CURSOR_PREFIX):
        raise ValueError("cursor is not one this server issued")
    ts, _, log_id = raw[len(CURSOR_PREFIX) :].decode(errors="replace").partition(":")
    if not re.fullmatch(r"-?\d{1,19}", ts) or not re.fullmatch(r"\d{1,19}", log_id):
        raise ValueError("cursor is not one this server issued")
    return int(ts), int(log_id)
