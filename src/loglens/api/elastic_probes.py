"""What Elasticsearch shippers ask before they send, under /elasticsearch/ (see api/elastic.py).

- the base path, GET and HEAD: the version (an 8.x number), which Filebeat, Logstash, Vector and the official
  clients read to choose their request shapes;
- `_license` (Filebeat, Logstash) and `_xpack` (Logstash): a basic, active licence, no ILM;
- `_cluster/health` (Vector's health check, Logstash), `_cat/health` (rsyslog's), `_nodes` (clients that
  sniff): one green node, which they are already talking to;
- `_index_template/{name}`, `_template/{name}`, `_ilm/policy/{name}`, `_ingest/pipeline/{name}` (Filebeat's and
  Logstash's setup): GET and HEAD say the thing exists, PUT acknowledges; nothing is kept, since LogLens has one
  schema and its own retention.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from ..auth.access import requires

bp = Blueprint("probes", __name__)

VERSION = "8.17.0"
CLUSTER = "loglens"
CLUSTER_UUID = "bG9nbGVucy1jbHVzdGVy"
NODE = "loglens"
LICENSE = {
    "status": "active",
    "uid": "00000000-0000-0000-0000-000000000000",
    "type": "basic",
    "issue_date_in_millis": 0,
    "max_nodes": 1000,
    "issued_to": CLUSTER,
    "issuer": "loglens",
    "start_date_in_millis": -1,
}


def version_info() -> dict[str, Any]:
    return {
        "name": NODE,
        "cluster_name": CLUSTER,
        "cluster_uuid": CLUSTER_UUID,
        "version": {
            "number": VERSION,
            "build_flavor": "default",
            "build_type": "tar",
            "build_hash": "loglens",
            "build_date": "2026-01-01T00:00:00.000Z",
            "build_snapshot": False,
            "lucene_version": "9.12.0",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "You Know, for Search",
    }


@bp.get("/", strict_slashes=False)
@requires("ingest")
def root() -> ResponseReturnValue:
    return version_info()


@bp.get("/_license")
@requires("ingest")
def license_info() -> ResponseReturnValue:
    return {"license": LICENSE}


@bp.get("/_xpack")
@requires("ingest")
def xpack() -> ResponseReturnValue:
    off = {"available": False, "enabled": False}
    return {
        "build": {"hash": "loglens", "date": "2026-01-01T00:00:00.000Z"},
        "license": {key: LICENSE[key] for key in ("uid", "type", "status")} | {"mode": "basic"},
        "features": {"ilm": off, "security": off, "monitoring": off},
    }


@bp.get("/_cluster/health")
@requires("ingest")
def cluster_health() -> ResponseReturnValue:
    return {
        "cluster_name": CLUSTER,
        "status": "green",
        "timed_out": False,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": 0,
        "active_shards": 0,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "active_shards_percent_as_number": 100.0,
    }


@bp.get("/_cat/health")
@requires("ingest")
def cat_health() -> ResponseReturnValue:
    """rsyslog's omelasticsearch asks this (HEAD) before it sends."""
    return Response(f"0 00:00:00 {CLUSTER} green 1 1 0 0 0 0 0 0 - 100.0%\n", content_type="text/plain")


@bp.get("/_nodes")
@bp.get("/_nodes/<which>")
@requires("ingest")
def nodes(which: str = "") -> ResponseReturnValue:
    return {
        "_nodes": {"total": 1, "successful": 1, "failed": 0},
        "cluster_name": CLUSTER,
        "nodes": {NODE: {"name": NODE, "version": VERSION, "roles": ["data", "ingest", "master"]}},
    }


@bp.get("/_index_template/<name>")
@requires("ingest")
def index_template(name: str) -> ResponseReturnValue:
    template = {"index_patterns": [f"{name}*"], "composed_of": [], "template": {}}
    return {"index_templates": [{"name": name, "index_template": template}]}


@bp.get("/_template/<name>")
@requires("ingest")
def legacy_template(name: str) -> ResponseReturnValue:
    return {name: {"order": 0, "index_patterns": [f"{name}*"], "settings": {}, "mappings": {}, "aliases": {}}}


@bp.get("/_ilm/policy/<name>")
@requires("ingest")
def ilm_policy(name: str) -> ResponseReturnValue:
    return {name: {"version": 1, "modified_date": "2026-01-01T00:00:00.000Z", "policy": {"phases": {}}}}


@bp.get("/_ingest/pipeline/<name>")
@requires("ingest")
def ingest_pipeline(name: str) -> ResponseReturnValue:
    return {name: {"description": "kept by LogLens as nothing", "processors": []}}


@bp.put("/_index_template/<name>")
@bp.put("/_template/<name>")
@bp.put("/_ilm/policy/<name>")
@bp.put("/_ingest/pipeline/<name>")
@requires("ingest")
def acknowledge(name: str) -> ResponseReturnValue:
    return {"acknowledged": True}
