"""The client side of LogLens: what runs on the machines that send and read logs, never in the server.

`LogLensHandler` (handler.py) ships Python logging records; `BulkSender` (bulk.py) posts NDJSON batches with
retries. The client commands of `loglens` live here too: `ship` (ship.py), `query` and `tail` (query.py) and
`simulate` (simulate.py), taking the server's URL and an API key one way (args.py).
"""

from __future__ import annotations

from .bulk import BulkOutcome, BulkSender
from .handler import LogLensHandler

__all__ = ["BulkOutcome", "BulkSender", "LogLensHandler"]
