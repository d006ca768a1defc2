"""Patterns: the messages of the matching entries grouped into templates (`card declined for order <*>`), by Drain
(the `drain3` library), with what varies masked first: quoted values, UUIDs, IP addresses, hex, ids such as
`req-42`, numbers.

The cost is bounded by sampling: the newest `sample` matches of the range (10,000 by default) are mined, not every
match; an answer says how many were read, whether they were all the matches, and since when they run. Each
template comes with its count among the sample, a sparkline of that count over the sampled time, an example
message, and a query that finds its entries (the template's fixed words as phrases in the message).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

from .query import words_of

WILDCARD = "<*>"
MASKS = (
    r'"[^"]*"',
    r"'[^']*'",
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
    r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b",
    r"\b0x[0-9a-fA-F]+\b",
    r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b",  # hex of 8+ with a digit and a letter
    r"\b[A-Za-z]+[-_]\d[A-Za-z0-9_-]*\b",
    r"[-+]?\b\d+(?:\.\d+)?\b",
)
SIMILARITY = 0.4  # Drain's threshold: the share of a template's tokens a message must share to join it
MOST_TEMPLATES = 50
SPARK_BUCKETS = 24
MINED_CHARS = 500  # of each message: templates of what follows add little, and masking stays cheap


@dataclass(frozen=True, slots=True)
class Pattern:
    template: str
    count: int
    example: str
    query: str | None  # the template's fixed words as phrases; None when it has none
    spark: list[int]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # the API's keys are the fields' names


def _miner() -> TemplateMiner:
    config = TemplateMinerConfig()
    config.masking_instructions = [MaskingInstruction(regex, "*") for regex in MASKS]
    config.mask_prefix = "<"
    config.mask_suffix = ">"
    config.drain_sim_th = SIMILARITY
    config.parametrize_numeric_tokens = True
    config.profiling_enabled = False
    return TemplateMiner(config=config)


def template_query(template: str) -> str | None:
    """Each run of fixed words between wildcards as a quoted phrase in the message: what finds the template's
    entries (a phrase matches consecutive words, and the words between two masks were consecutive in every
    message; `message:` keeps a phrase that also occurs in a service or metadata value from matching there)."""
    phrases = []
    for chunk in template.split(WILDCARD):
        words = words_of(chunk)
        if words:
            phrases.append('message:"' + " ".join(words) + '"')
    return " ".join(phrases) or None


def mine(
    entries: Iterable[dict[str, Any]], since_ms: int, to_ms: int, deadline: float = math.inf
) -> tuple[list[Pattern], int]:
    """Templates of the entries' messages, the most frequent first (at most MOST_TEMPLATES), and how many entries
    were mined: each entry carries `message` and `ts_ms`; mining stops at `deadline` (time.perf_counter()). The
    sparkline has SPARK_BUCKETS buckets over [since_ms, to_ms)."""
    miner = _miner()
    members: dict[int, list[int]] = {}
    examples: dict[int, str] = {}
    mined = 0
    for entry in entries:
        if time.perf_counter() > deadline:
            break
        mined += 1
        message = str(entry["message"])
        cluster_id = miner.drain.add_log_message(miner.masker.mask(message[:MINED_CHARS]))[0].cluster_id
        members.setdefault(cluster_id, []).append(int(entry["ts_ms"]))
        examples.setdefault(cluster_id, message)
    width = max(1, -(-(to_ms - since_ms) // SPARK_BUCKETS))
    out = []
    for cluster in miner.drain.clusters:
        times = members.get(cluster.cluster_id, [])
        spark = [0] * SPARK_BUCKETS
        for ts in times:
            spark[min(SPARK_BUCKETS - 1, max(0, (ts - since_ms) // width))] += 1
        template = cluster.get_template()
        out.append(Pattern(template, len(times), examples[cluster.cluster_id], template_query(template), spark))
    out.sort(key=lambda p: (-p.count, p.template))
    return out[:MOST_TEMPLATES], mined
