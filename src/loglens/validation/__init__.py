"""Validation of incoming entries: the log schema and the ingest limits, checked together.

validator.py holds the `Validator`, which checks each entry against the log schema with the limits of limits.py
compiled in, and against the cap on services (services.py); excerpt.py renders client values for the messages.
"""

from __future__ import annotations

from ..model import StatsDelta
from .excerpt import excerpt, shorten
from .limits import DEFAULT_ENTRY_BYTES, Limits, limit_schema
from .services import ServiceGate
from .validator import Problem, Undecodable, Validator, load_schema

__all__ = [
    "DEFAULT_ENTRY_BYTES",
    "Limits",
    "Problem",
    "ServiceGate",
    "StatsDelta",
    "Undecodable",
    "Validator",
    "excerpt",
    "limit_schema",
    "load_schema",
    "shorten",
]
