"""Untrusted text in the server's own log: control characters escaped, so a client cannot forge log lines.

A service name such as "api\\n2026-01-01 ERROR loglens: disk failing" would otherwise print as two lines, the
second written by the client. `escape` renders line breaks, other C0/C1 controls and the Unicode line and
paragraph separators as Python-style escapes. `EscapingFilter` applies it to every record's formatted message
(the traceback a formatter appends is ours and keeps its lines).
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(value: object) -> str:
    """`str(value)` with every control character escaped; one line, whatever the value holds."""
    text = str(value)
    return _CONTROL.sub(_escape_one, text) if _CONTROL.search(text) else text


class EscapingFilter(logging.Filter):
    """Escapes control characters in each record's message (after %-formatting with its arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        escaped = escape(message)
        if escaped is not message:
            record.msg, record.args = escaped, None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of `logger` (the root logger by default), once."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, EscapingFilter) for f in handler.filters):
            handler.addFilter(EscapingFilter())
