"""Loki's push messages compiled from tests/support/loki_push.proto with grpcio-tools' protoc, at test time."""

from __future__ import annotations

import importlib.resources
import importlib.util
from pathlib import Path
from types import ModuleType

PROTO = Path(__file__).with_name("loki_push.proto")


def compile_push_proto(out_dir: Path) -> ModuleType:
    """protoc loki_push.proto into `out_dir` and import the generated module (loki_push_pb2)."""
    from grpc_tools import protoc

    includes = importlib.resources.files("grpc_tools") / "_proto"
    args = ["protoc", f"-I{PROTO.parent}", f"-I{includes}", f"--python_out={out_dir}", PROTO.name]
    status = protoc.main(args)
    assert status == 0, f"protoc failed ({status}) on {PROTO}"
    spec = importlib.util.spec_from_file_location("loki_push_pb2", out_dir / "loki_push_pb2.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
