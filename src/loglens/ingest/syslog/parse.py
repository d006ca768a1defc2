"""Syslog messages (RFC 5424, and RFC 3164 as senders really write it) read into their parts, strictly.

No maintained parser on PyPI covers both formats (syslog-rfc5424-parser was last released in 2019 and depends on
the retired lark-parser; syslogmp reads RFC 3164 only), so this is a small one. RFC 5424 is read to the letter:
every header field, its length and character range, the RFC 3339 timestamp and the structured data with its
escapes; anything else is a `SyslogError` saying what was wrong where. RFC 3164 has no strict form (its own text
calls it a description of what was seen on the wire), so only what a receiver must know is required: a PRI,
then an optional timestamp (`Mmm dd hh:mm:ss`, or RFC 3339 as rsyslog's forward format writes it), an optional
hostname and an optional `TAG[PID]:`; the rest is the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

BOM = "\ufeff"
NIL = "-"
MAX_PRI = 191
# RFC 5424 section 6: the header fields' lengths, each of printable US-ASCII (33..126)
HOSTNAME_MAX, APP_NAME_MAX, PROCID_MAX, MSGID_MAX, SD_NAME_MAX = 255, 48, 128, 32, 32
FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
    "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
    "local7",
)  # fmt: skip
MONTHS = {m: i for i, m in enumerate(("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec").split(), 1)}

_PRI = re.compile(r"<(\d{1,3})>")
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})"
)  # RFC 5424 6.2.3: uppercase T and Z, at most 6 fraction digits
_RFC3339_LOOSE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})")
_BSD_STAMP = re.compile(r"([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})")
_TAG = re.compile(r"([!-9;-Z\\^-~]{1,48}?)(?:\[([!-Z\\^-~]{1,128})\])?:(?: |$)")  # printable, no ':' '[' ']'
_PRINTABLE = re.compile(r"[!-~]+")
_HEADER_5424 = re.compile(
    rf"([!-~]{{1,64}}) ([!-~]{{1,{HOSTNAME_MAX}}}) ([!-~]{{1,{APP_NAME_MAX}}}) ([!-~]{{1,{PROCID_MAX}}})"
    rf" ([!-~]{{1,{MSGID_MAX}}}) "
)
_SD_NAME = re.compile(r"[!#-<>-\\^-~]{1,32}")  # printable but '=', ' ', ']', '"'
_SD_VALUE_ESCAPE = re.compile(r'\\([\\"\]])')


class SyslogError(ValueError):
    """The bytes are not a syslog message; the text says what was wrong where."""


@dataclass(slots=True)
class SyslogMessage:
    facility: int
    severity: int
    timestamp: str | None  # RFC 3339; None: the message had none (the arrival time applies)
    hostname: str | None = None
    app_name: str | None = None  # RFC 5424 APP-NAME, or the RFC 3164 TAG
    procid: str | None = None
    msgid: str | None = None
    structured_data: dict[str, dict[str, str]] = field(default_factory=dict)
    message: str = ""
    rfc: int = 5424


def parse(data: bytes, *, now: datetime) -> SyslogMessage:
    """One message (its framing already removed). `now`, in the zone RFC 3164 timestamps are read in (the
    server's), decides their year: this year, or last year for a date more than a day ahead."""
    text = data.decode("utf-8", errors="replace")
    match = _PRI.match(text)
    if match is None:
        raise SyslogError("no <PRI> at the start (a syslog message starts with <0> to <191>)")
    pri = int(match.group(1))
    if pri > MAX_PRI or (len(match.group(1)) > 1 and match.group(1)[0] == "0"):
        raise SyslogError(f"PRI {match.group(1)!r} is not 0..191 without leading zeros")
    rest = text[match.end() :].rstrip("\r\n\0")
    if rest[:2] == "1 ":
        return _parse_5424(pri, rest[2:])
    return _parse_3164(pri, rest, now)


def _field(text: str, at: int, name: str, longest: int) -> tuple[str | None, int]:
    """One space-terminated header field at `at`: its value (None for '-') and where the next one starts."""
    end = text.find(" ", at)
    if end < 0:
        raise SyslogError(f"RFC 5424: the message ends before {name}")
    value = text[at:end]
    if not value:
        raise SyslogError(f"RFC 5424: {name} is empty (two spaces in a row)")
    if len(value) > longest or not _PRINTABLE.fullmatch(value):
        raise SyslogError(f"RFC 5424: {name} {value[:60]!r} is not 1..{longest} printable ASCII characters")
    return (None if value == NIL else value), end + 1


def _parse_5424(pri: int, text: str) -> SyslogMessage:
    header = _HEADER_5424.match(text)  # the five fields at once; field by field only to say what is wrong
    if header is not None:
        stamp, hostname, app_name, procid, msgid = (None if f == NIL else f for f in header.groups())
        at = header.end()
    else:
        stamp, at = _field(text, 0, "TIMESTAMP", 64)
        hostname, at = _field(text, at, "HOSTNAME", HOSTNAME_MAX)
        app_name, at = _field(text, at, "APP-NAME", APP_NAME_MAX)
        procid, at = _field(text, at, "PROCID", PROCID_MAX)
        msgid, at = _field(text, at, "MSGID", MSGID_MAX)
    if stamp is not None:
        _check_rfc3339(stamp)
    sd, at = _structured_data(text, at)
    if at < len(text):
        if text[at] != " ":
            raise SyslogError(f"RFC 5424: a space must follow STRUCTURED-DATA, found {text[at]!r}")
        at += 1
    message = text[at:]
    if message.startswith(BOM):
        message = message[1:]
    return SyslogMessage(pri >> 3, pri & 7, stamp, hostname, app_name, procid, msgid, sd, message, 5424)


def _check_rfc3339(stamp: str) -> None:
    match = _RFC3339.fullmatch(stamp)
    if match is None:
        raise SyslogError(f"RFC 5424: TIMESTAMP {stamp[:40]!r} is not RFC 3339 (YYYY-MM-DDThh:mm:ss[.frac]Z|±hh:mm)")
    try:
        datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SyslogError(f"RFC 5424: TIMESTAMP {stamp!r}: {exc}") from None


def _structured_data(text: str, at: int) -> tuple[dict[str, dict[str, str]], int]:
    if text.startswith(NIL, at):
        return {}, at + 1
    if not text.startswith("[", at):
        raise SyslogError("RFC 5424: STRUCTURED-DATA must be '-' or start with '['")
    elements: dict[str, dict[str, str]] = {}
    while text.startswith("[", at):
        name = _SD_NAME.match(text, at + 1)
        if name is None:
            raise SyslogError(f"RFC 5424: bad SD-ID at column {at + 1}")
        params: dict[str, str] = {}
        at = name.end()
        while text.startswith(" ", at):
            key = _SD_NAME.match(text, at + 1)
            if key is None or not text.startswith('="', key.end()):
                raise SyslogError(f"RFC 5424: bad SD-PARAM in [{name.group()}] at column {at + 1}")
            value, at = _sd_value(text, key.end() + 2)
            params[key.group()] = value
        if not text.startswith("]", at):
            raise SyslogError(f"RFC 5424: SD-ELEMENT [{name.group()}] is not closed with ']' at column {at}")
        if name.group() in elements:
            raise SyslogError(f"RFC 5424: SD-ID {name.group()!r} appears twice")
        elements[name.group()] = params
        at += 1
    return elements, at


def _sd_value(text: str, at: int) -> tuple[str, int]:
    """A PARAM-VALUE starting after its opening quote: the unescaped value and where its element goes on."""
    end = at
    while True:
        end = text.find('"', end)
        if end < 0:
            raise SyslogError("RFC 5424: a PARAM-VALUE has no closing quote")
        backslashes = len(text[at:end]) - len(text[at:end].rstrip("\\"))
        if backslashes % 2 == 0:
            return _SD_VALUE_ESCAPE.sub(r"\1", text[at:end]), end + 1
        end += 1


def _parse_3164(pri: int, text: str, now: datetime) -> SyslogMessage:
    stamp: str | None = None
    at = 0
    bsd = _BSD_STAMP.match(text)
    if bsd is not None:
        stamp = _bsd_timestamp(bsd, now)
        at = bsd.end()
    elif (iso := _RFC3339_LOOSE.match(text)) is not None:
        stamp, at = iso.group(), iso.end()
    if stamp is not None:
        if at < len(text) and text[at] != " ":
            raise SyslogError("RFC 3164: a space must follow the TIMESTAMP")
        at += 1
    hostname = None
    if stamp is not None and _TAG.match(text, at) is None:
        end = text.find(" ", at)
        candidate = text[at:end] if end > at else ""
        if candidate and len(candidate) <= HOSTNAME_MAX and _PRINTABLE.fullmatch(candidate):
            hostname, at = candidate, end + 1
    tag = procid = None
    if (found := _TAG.match(text, at)) is not None:
        tag, procid = found.group(1), found.group(2)
        at = found.end()
    message = text[at:]
    return SyslogMessage(pri >> 3, pri & 7, stamp, hostname, tag, procid, None, {}, message, 3164)


def _bsd_timestamp(match: re.Match[str], now: datetime) -> str:
    month = MONTHS.get(match.group(1))
    if month is None:
        raise SyslogError(f"RFC 3164: {match.group(1)!r} is not a month")
    day, hour, minute, second = (int(match.group(i)) for i in (2, 3, 4, 5))
    zone: tzinfo | None = now.tzinfo
    for year in (now.year, now.year - 1):
        try:
            stamp = datetime(year, month, day, hour, minute, second, tzinfo=zone)
        except ValueError:
            continue  # 29 Feb in a year without it; or a day or time out of range
        if stamp <= now + timedelta(days=1):
            return stamp.isoformat()
    raise SyslogError(f"RFC 3164: {match.group()!r} is not a date and time")


def facility_name(facility: int) -> str:
    return FACILITIES[facility] if 0 <= facility < len(FACILITIES) else str(facility)
