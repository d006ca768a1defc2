"""Syslog over TCP, cut into messages (RFC 6587): octet counting (`LEN SP MSG`) and non-transparent framing
(messages ended by LF), told apart frame by frame by the first byte as rsyslog does: a digit starts a count, '<'
a message. Holds at most one frame's bytes, so a sender cannot grow it past `max_frame` (+ what one read adds).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_COUNT_DIGITS = 9


@dataclass(frozen=True, slots=True)
class Oversize:
    """A frame longer than the limit, skipped unread (its first bytes kept for the log)."""

    size: int
    head: bytes


Frame = bytes | Oversize


class Framer:
    def __init__(self, max_frame: int) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()
        self._skip = 0  # bytes of an oversize frame still to throw away
        self._skip_to_lf = False  # an oversize LF-framed message: throw away up to its LF
        self._skipped_head = b""
        self._skipped_size = 0

    def feed(self, data: bytes) -> list[Frame]:
        """The frames that `data` completes. Raises ValueError on a broken octet count (the stream is lost)."""
        buf = self._buf
        buf += data
        frames: list[Frame] = []
        at = 0
        while at < len(buf):
            if self._skip:
                taken = min(self._skip, len(buf) - at)
                self._skip -= taken
                at += taken
                if not self._skip:
                    frames.append(Oversize(self._skipped_size, self._skipped_head))
                continue
            if self._skip_to_lf:
                end = buf.find(b"\n", at)
                if end < 0:
                    self._skipped_size += len(buf) - at
                    at = len(buf)
                    break
                self._skipped_size += end - at
                frames.append(Oversize(self._skipped_size, self._skipped_head))
                self._skip_to_lf = False
                at = end + 1
                continue
            first = buf[at]
            if first in b"\r\n\0 ":  # stray separators between frames
                at += 1
                continue
            if 0x30 <= first <= 0x39:
                space = buf.find(b" ", at, at + MAX_COUNT_DIGITS + 1)
                if space < 0:
                    if len(buf) - at > MAX_COUNT_DIGITS:
                        raise ValueError(f"octet count {bytes(buf[at : at + 12])!r}... is not a number and a space")
                    break
                count_text = bytes(buf[at:space])
                if not count_text.isdigit():
                    raise ValueError(f"octet count {count_text!r} is not a number")
                count = int(count_text)
                start = space + 1
                if count > self.max_frame:
                    self._skip = count
                    self._skipped_size = count
                    self._skipped_head = bytes(buf[start : start + 80])
                    at = start
                    continue
                if len(buf) - start < count:
                    break
                frames.append(bytes(buf[start : start + count]))
                at = start + count
                continue
            end = buf.find(b"\n", at, at + self.max_frame + 1)
            if end < 0:
                if len(buf) - at > self.max_frame:
                    self._skip_to_lf = True
                    self._skipped_head = bytes(buf[at : at + 80])
                    self._skipped_size = len(buf) - at
                    at = len(buf)
                break
            frames.append(bytes(buf[at:end]).rstrip(b"\r"))
            at = end + 1
        del buf[:at]
        return frames

    def finish(self) -> list[Frame]:
        """At the end of the stream: an unterminated last LF-framed message counts (a partial counted one not)."""
        rest = bytes(self._buf).strip(b"\r\n\0 ")
        self._buf.clear()
        if self._skip_to_lf:
            return [Oversize(self._skipped_size, self._skipped_head)]
        if rest and rest[:1] == b"<" and not self._skip:
            return [rest]
        return []
