"""Migration 4: a message holding NUL (U+0000) is stored whole. SQLite 3.40's JSON functions end a string at
NUL, so `v->>5` kept "before" of "before\u0000after"; store/sqlite/batch.py now sends such a message as the list of its
NUL-separated parts, joined back here with char(0). Only the logs insert changes; `service` and `user_id` may
not hold NUL at all (the validator rejects them)."""

from __future__ import annotations

from .fragments import NUL_SAFE_ROW
from .v02 import INGEST_TRIGGER, ROW

SQL = "\n    DROP TRIGGER ingest_apply;;" + INGEST_TRIGGER.replace(ROW, NUL_SAFE_ROW)
