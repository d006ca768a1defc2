"""ClickHouse tables, written for 18.16 (Debian's) so that current releases (26.x) run them unchanged.

Logs live in a MergeTree partitioned by event day (retention drops whole partitions) and ordered by
(service, ts): the dashboard's per-service reads and search's service + time-range filters prune by it.
Materialized views maintain, at insert time and inside ClickHouse: per-minute counts (SummingMergeTree), per-minute
and per-hour user counts, per-service first/last seen and counts (AggregatingMergeTree) and the global totals.
Alerts, the leader lease, keys and ended sessions are small tables of rows. Search matches
`words` and `meta_*` (search.py). `schema_version` records the migrations applied.

With `storage.clickhouse.cluster` set, every server of the cluster gets these local tables (18.16 has no
ON CLUSTER) and LogLens reads and writes through `*_all` Distributed tables over them: logs are spread by
rand(), the small tables (alerts, leases, counters) all go to the first shard.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..base import StoreError
from .connection import Connection

LEVEL_ENUM = "Enum8('DEBUG' = 10, 'INFO' = 20, 'WARNING' = 30, 'ERROR' = 40, 'CRITICAL' = 50)"
ERRORS = "level IN ('ERROR', 'CRITICAL')"
# Users each write keeps per minute (all services) in rollup_user_top (migration 10, top_users.py)
TOP_USERS_KEPT = 100
# rollup_user_top_buffer moves its rows into rollup_user_top after this many seconds (at least, at most)
TOP_BUFFER_SECONDS = (5, 30)

# table -> sharding key of its Distributed table (cluster mode)
SHARDED = {
    "logs": "rand()",
    "rollup_minute": "rand()",
    "rollup_user": "rand()",
    "rollup_user_hour": "rand()",
    "rollup_level": "rand()",
    "rollup_user_top": "rand()",
    "rollup_user_top_buffer": "rand()",
    "services": "rand()",
    "totals": "rand()",
    "counters": "0",
    "alerts": "0",
    "leases": "0",
    "api_keys": "0",
    "auth_secrets": "0",
    "retired_services": "0",
    "ended_sessions": "0",
    "notifications": "0",
    "alert_rules": "0",
    "saved_searches": "0",
    "silences": "0",
}


@dataclass(frozen=True)
class AddColumn:
    """ALTER TABLE ... ADD COLUMN, skipped when the column exists (18.16 has no ADD COLUMN IF NOT EXISTS, and
    several nodes may migrate at once)."""

    table: str
    column: str
    type: str


# What `field_words` (search.field_words) reads as for the entries stored before it existed: ClickHouse computes a
# missing column from its DEFAULT when a part is read, so those entries need no rewrite and are searchable at once.
# ClickHouse splits and lowercases them itself (runs of Unicode letters and numbers, lowerUTF8), which equals Python's
# split for ASCII and most other text; lowerUTF8 leaves alone the few letters whose lower case is longer in UTF-8
# (such as `İ`). U+E000 (private use, never a word) marks where each field starts.
FIELD_WORDS_DEFAULT = (
    "arrayMap(w -> if(w = '\ue000', '', w), extractAll(concat(lowerUTF8(service), '\ue000',"
    " lowerUTF8(ifNull(user_id, '')), '\ue000', lowerUTF8(arrayStringConcat(arrayFilter((s, t) -> t = 1, meta_s,"
    " meta_t), '\ue000'))), '[\\\\p{L}\\\\p{N}]+|\\\\x{E000}'))"
)

MIGRATIONS: list[list[str | AddColumn]] = [
    # 1: logs, rollups by materialized views, counters, alerts, leases
    [
        f"""CREATE TABLE IF NOT EXISTS {{db}}.logs (
            id UInt64,
            ts_ms Int64,
            ts DateTime DEFAULT toDateTime(intDiv(ts_ms, 1000)),
            received_ms Int64,
            timestamp String,
            level {LEVEL_ENUM},
            service String,
            message String,
            user_id Nullable(String),
            metadata Nullable(String),
            words Array(String),
            meta_k Array(String),
            meta_t Array(UInt8),
            meta_s Array(String),
            meta_n Array(Float64)
        ) ENGINE = MergeTree() PARTITION BY toDate(ts) ORDER BY (service, ts)""",
        """CREATE TABLE IF NOT EXISTS {db}.rollup_minute (
            minute DateTime, service String, total UInt64, errors UInt64
        ) ENGINE = SummingMergeTree() PARTITION BY toDate(minute) ORDER BY (minute, service)""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.rollup_minute_mv TO {{db}}.rollup_minute AS
            SELECT toStartOfMinute(ts) AS minute, service, count() AS total, countIf({ERRORS}) AS errors
            FROM {{db}}.logs GROUP BY minute, service""",
        """CREATE TABLE IF NOT EXISTS {db}.rollup_user (
            minute DateTime, service String, uid String, count UInt64
        ) ENGINE = SummingMergeTree() PARTITION BY toDate(minute) ORDER BY (minute, service, uid)""",
        """CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_user_mv TO {db}.rollup_user AS
            SELECT toStartOfMinute(ts) AS minute, service, assumeNotNull(user_id) AS uid, count() AS count
            FROM {db}.logs WHERE user_id IS NOT NULL GROUP BY minute, service, uid""",
        """CREATE TABLE IF NOT EXISTS {db}.rollup_user_hour (
            hour DateTime, service String, uid String, count UInt64
        ) ENGINE = SummingMergeTree() PARTITION BY toDate(hour) ORDER BY (hour, service, uid)""",
        """CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_user_hour_mv TO {db}.rollup_user_hour AS
            SELECT toStartOfHour(ts) AS hour, service, assumeNotNull(user_id) AS uid, count() AS count
            FROM {db}.logs WHERE user_id IS NOT NULL GROUP BY hour, service, uid""",
        """CREATE TABLE IF NOT EXISTS {db}.services (
            service String,
            first_seen AggregateFunction(min, Int64),
            last_seen AggregateFunction(max, Int64),
            log_count AggregateFunction(sum, UInt64),
            error_count AggregateFunction(sum, UInt64)
        ) ENGINE = AggregatingMergeTree() ORDER BY service""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.services_mv TO {{db}}.services AS
            SELECT service, minState(received_ms) AS first_seen, maxState(received_ms) AS last_seen,
                sumState(toUInt64(1)) AS log_count, sumState(toUInt64({ERRORS})) AS error_count
            FROM {{db}}.logs GROUP BY service""",
        """CREATE TABLE IF NOT EXISTS {db}.totals (k UInt8, total UInt64, errors UInt64)
            ENGINE = SummingMergeTree() ORDER BY k""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.totals_mv TO {{db}}.totals AS
            SELECT toUInt8(0) AS k, count() AS total, countIf({ERRORS}) AS errors FROM {{db}}.logs""",
        """CREATE TABLE IF NOT EXISTS {db}.counters (name String, value Int64)
            ENGINE = SummingMergeTree() ORDER BY name""",
        """CREATE TABLE IF NOT EXISTS {db}.alerts (
            id UInt64,
            rule String,
            service String,
            severity String,
            message String,
            value Float64,
            threshold Float64,
            state Enum8('firing' = 1, 'resolved' = 2),
            fired_at_ms Int64,
            resolved_at_ms Nullable(Int64),
            version UInt32
        ) ENGINE = ReplacingMergeTree(version) ORDER BY id""",
        """CREATE TABLE IF NOT EXISTS {db}.leases (
            name String, node String, started_ms Int64, renewed_ms Int64
        ) ENGINE = MergeTree() PARTITION BY toDate(intDiv(renewed_ms, 1000)) ORDER BY (name, node, renewed_ms)""",
    ],
    # 2: acknowledged alerts and why an alert resolved (issue 11), API keys and shared auth secrets (issue 10),
    # retired services (issue 11: a service silent for alerting.service_forget_hours leaves services())
    [
        AddColumn("alerts", "acked_at_ms", "Nullable(Int64)"),
        AddColumn("alerts", "resolved_reason", "Nullable(String)"),
        """CREATE TABLE IF NOT EXISTS {db}.api_keys (
            id String,
            name String,
            role String,
            secret_sha256 String,
            created_ms Int64,
            revoked_ms Nullable(Int64),
            version UInt32
        ) ENGINE = ReplacingMergeTree(version) ORDER BY id""",
        """CREATE TABLE IF NOT EXISTS {db}.auth_secrets (name String, value String, created_ms Int64)
            ENGINE = MergeTree() ORDER BY (name, created_ms)""",
        """CREATE TABLE IF NOT EXISTS {db}.retired_services (service String, before_ms Int64)
            ENGINE = MergeTree() ORDER BY service""",
    ],
    # 3: dashboard sessions ended by "Log out" (issue 22), one row each, by the day they would have expired (the
    # retention job drops the days long past)
    [
        """CREATE TABLE IF NOT EXISTS {db}.ended_sessions (id String, expires_ms Int64, ended_ms Int64)
            ENGINE = MergeTree() PARTITION BY toDate(intDiv(expires_ms, 1000)) ORDER BY id""",
    ],
    # 4: the notification outbox (issue 24; notification_rows.py): each change of a row is its next version ('' and
    # 0 stand for "none" in last_error and finished_ms: argMax skips NULLs, so a cleared value would not show)
    [
        """CREATE TABLE IF NOT EXISTS {db}.notifications (
            id String,
            alert_id UInt64,
            notifier String,
            event String,
            payload String,
            status String,
            attempts UInt32,
            next_at_ms Int64,
            last_error String,
            created_ms Int64,
            finished_ms Int64,
            lease_owner String,
            lease_until_ms Int64,
            version UInt64
        ) ENGINE = ReplacingMergeTree(version) ORDER BY id""",
    ],
    # 5: an alert names its query rule's group and labels; the rules made through
    # the API, each change the rule's next version (`deleted` 1: gone)
    [
        AddColumn("alerts", "group_key", "String"),
        AddColumn("alerts", "labels", "String"),
        """CREATE TABLE IF NOT EXISTS {db}.alert_rules (
            name String, body String, updated_ms Int64, deleted UInt8, version UInt64
        ) ENGINE = ReplacingMergeTree(version) ORDER BY name""",
    ],
    # 6: saved searches (issue 23), versioned rows; a deletion is a version
    [
        """CREATE TABLE IF NOT EXISTS {db}.saved_searches (
            id String,
            name String,
            query String,
            range_from String,
            range_to String,
            columns Array(String),
            created_ms Int64,
            updated_ms Int64,
            deleted UInt8,
            version UInt32
        ) ENGINE = ReplacingMergeTree(version) ORDER BY id""",
    ],
    # 7: silences (issue 24), kept after they end as history; each expiry early is the row's next version
    [
        """CREATE TABLE IF NOT EXISTS {db}.silences (
            id String,
            matchers String,
            starts_at_ms Int64,
            ends_at_ms Int64,
            comment String,
            created_by String,
            created_at_ms Int64,
            expired_by Nullable(String),
            version UInt32
        ) ENGINE = ReplacingMergeTree(version) ORDER BY id""",
    ],
    # 8: the words of service, user_id and metadata strings, which a bare
    # word or phrase also matches (search.field_words); written with each entry, computed for the older ones
    [
        AddColumn("logs", "field_words", f"Array(String) DEFAULT {FIELD_WORDS_DEFAULT}"),
    ],
    # 9 (issue 23): each event minute's entries counted per service and level, exactly as stored: its day
    # partitions go with the entries' (retention and max_logs, store.py), so that count() by service / level
    # is summed from it (rollup_stats.py). The entries stored before are counted once, just after the view exists
    # (an upgrade while entries arrive may count those of that moment twice: upgrade between bursts).
    [
        f"""CREATE TABLE IF NOT EXISTS {{db}}.rollup_level (
            minute DateTime, service String, level {LEVEL_ENUM}, count UInt64
        ) ENGINE = SummingMergeTree() PARTITION BY toDate(minute) ORDER BY (minute, service, level)""",
        """CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_level_mv TO {db}.rollup_level AS
            SELECT toStartOfMinute(ts) AS minute, service, level, count() AS count
            FROM {db}.logs GROUP BY minute, service, level""",
        """INSERT INTO {db}.rollup_level (minute, service, level, count)
            SELECT toStartOfMinute(ts) AS minute, service, level, count() FROM {db}.logs
            GROUP BY minute, service, level""",
    ],
    # 10 (issue 23): the candidates for top users, at bounded cost whatever the traffic (top_users.py): per minute
    # (span 60) and per hour (span 3600; buckets are epoch seconds / span), the TOP_USERS_KEPT biggest users of all
    # services of each write, and their sums per hour. Written through a Buffer table (held in the server's memory,
    # read together with the table, moved into it as one part every TOP_BUFFER_SECONDS): no part per write, which
    # is what an INSERT costs the server. The entries stored before are ranked once, here
    [
        """CREATE TABLE IF NOT EXISTS {db}.rollup_user_top (
            span UInt32, bucket UInt32, uid String, count UInt64
        ) ENGINE = SummingMergeTree() PARTITION BY toDate(toDateTime(bucket * span)) ORDER BY (span, bucket, uid)""",
        f"""CREATE TABLE IF NOT EXISTS {{db}}.rollup_user_top_buffer AS {{db}}.rollup_user_top
            ENGINE = Buffer('{{db}}', 'rollup_user_top', 1, {TOP_BUFFER_SECONDS[0]}, {TOP_BUFFER_SECONDS[1]},
                10000, 1000000, 10000000, 100000000)""",
        f"""INSERT INTO {{db}}.rollup_user_top (span, bucket, uid, count)
            SELECT 60, minute, uid, n FROM (
                SELECT toUInt32(intDiv(toUInt32(ts), 60)) AS minute, assumeNotNull(user_id) AS uid, count() AS n
                FROM {{db}}.logs WHERE user_id IS NOT NULL GROUP BY minute, uid
            ) ORDER BY n DESC, uid LIMIT {TOP_USERS_KEPT} BY minute""",
        """INSERT INTO {db}.rollup_user_top (span, bucket, uid, count)
            SELECT 3600, toUInt32(intDiv(bucket, 60)) AS hour, uid, sum(count) FROM {db}.rollup_user_top
            WHERE span = 60 GROUP BY hour, uid""",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Tables:
    """Where each logical table is read and written: the local table, or its Distributed table in cluster mode."""

    database: str
    cluster: str = ""

    def __getitem__(self, name: str) -> str:
        return f"{self.database}.{name}_all" if self.cluster else f"{self.database}.{name}"

    def local(self, name: str) -> str:
        return f"{self.database}.{name}"


def migrate(conn: Connection, database: str, cluster: str = "") -> int:
    """Bring one server's tables to SCHEMA_VERSION (idempotent: several nodes may start at once); returns the
    version found. In cluster mode, call it for every server of the cluster."""
    conn.query(f"CREATE DATABASE IF NOT EXISTS {database}")
    conn.query(
        f"CREATE TABLE IF NOT EXISTS {database}.schema_version (version UInt32, applied_ms Int64)"
        " ENGINE = MergeTree() ORDER BY version"
    )
    found = int(conn.query(f"SELECT max(version) FROM {database}.schema_version")[0][0] or 0)
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"ClickHouse database {database} has LogLens schema version {found}, newer than this LogLens supports"
            f" ({SCHEMA_VERSION}); upgrade LogLens or use another storage.clickhouse.database"
        )
    for version in range(found + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[version - 1]:
            if isinstance(statement, AddColumn):
                _add_column(conn, database, statement)
            else:
                conn.query(statement.format(db=database))
        conn.query(
            f"INSERT INTO {database}.schema_version (version, applied_ms) SELECT {version}, toInt64(now()) * 1000"
        )
    if cluster:
        for name, key in SHARDED.items():
            if _columns(conn, database, f"{name}_all") not in ([], _columns(conn, database, name)):
                conn.query(f"DROP TABLE {database}.{name}_all")  # an older shape; it holds no data (sync inserts)
            conn.query(
                f"CREATE TABLE IF NOT EXISTS {database}.{name}_all AS {database}.{name}"
                f" ENGINE = Distributed({cluster}, {database}, {name}, {key})"
            )
    return found


def column_types(conn: Connection, database: str, table: str) -> dict[str, str]:
    """A table's columns: name -> type, as the server writes them."""
    rows = conn.query(
        "SELECT name, type FROM system.columns WHERE database = %(db)s AND table = %(t)s", {"db": database, "t": table}
    )
    return {str(name): str(type_) for name, type_ in rows}


def _columns(conn: Connection, database: str, table: str) -> list[str]:
    return sorted(column_types(conn, database, table))


def _add_column(conn: Connection, database: str, step: AddColumn) -> None:
    if step.column not in _columns(conn, database, step.table):
        try:
            conn.query(f"ALTER TABLE {database}.{step.table} ADD COLUMN {step.column} {step.type}")
        except StoreError:
            if step.column not in _columns(conn, database, step.table):  # not another node adding it meanwhile
                raise
