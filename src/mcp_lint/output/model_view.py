"""`mcp-lint inspect`: the server model of a file as plain data (and as a rich tree)."""

from __future__ import annotations

from typing import Any

import libcst as cst

from mcp_lint.analysis.cst_utils import code
from mcp_lint.analysis.mcp_model import ServerModel, build_model
from mcp_lint.analysis.module_index import build_index
from mcp_lint.source.read import decode
from mcp_lint.source.lines import LineTable
from mcp_lint.analysis.positions import resolve_spans

_REGISTRATION_KEYS = ("name", "title", "description", "annotations", "timeout", "tags", "exclude_args",
                      "structured_output", "output_schema", "auth")


def describe_file(path: str, project=None) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return {"path": path, "error": f"cannot read file: {exc.strerror or exc}"}
    text, problem, _ = decode(data)
    if text is None:
        return {"path": path, "error": problem}
    try:
        module = cst.parse_module(text)
    except Exception as exc:  # noqa: BLE001 - shown to the user, never raised
        return {"path": path, "error": f"cannot parse: {getattr(exc, 'message', exc)}"}
    index = build_index(module)
    model = build_model(index, project, project.context(path) if project else None)
    return {"path": path, **describe_model(module, model, LineTable(text))}


def _text(node: cst.CSTNode | None, limit: int = 80) -> str | None:
    return None if node is None else code(node, limit)


def describe_model(module: cst.Module, model: ServerModel, lines: LineTable) -> dict[str, Any]:
    nodes: list[cst.CSTNode] = [s.node for s in model.servers]
    nodes += [t.node for t in model.transports]
    nodes += [h.function for h in model.handlers] + [p.node for h in model.handlers for p in h.params]
    nodes += [u.node for u in model.unresolved]
    spans = resolve_spans(module, nodes, lines)

    def line(node: cst.CSTNode) -> int | None:
        span = spans.get(node)
        return span.start_line if span else None

    def transport(t) -> dict[str, Any]:
        return {"kind": t.kind, "via": t.via, "line": line(t.node), "host": _text(t.host)}

    servers = []
    for s in model.servers:
        configured, how = s.auth
        servers.append({
            "binding": s.binding, "flavour": s.flavour, "constructor": s.constructor, "line": line(s.node),
            "from_parameter": s.from_parameter,
            "transports": [transport(t) for t in s.transports],
            "host": _text(s.host),
            "auth": {"configured": configured, "detail": how},
            "mask_error_details": _text(s.kwargs.get("mask_error_details")),
            "strict_input_validation": _text(s.kwargs.get("strict_input_validation")),
            "lifespan": _text(s.kwargs.get("lifespan")),
        })
    handlers = []
    for h in model.handlers:
        handlers.append({
            "kind": h.kind, "name": h.name, "function": h.function.name.value, "line": line(h.function),
            "form": h.form, "flavour": h.flavour, "server": h.server.binding if h.server else None,
            "confidence": h.confidence, "validate_input": h.validate_input, "registered_in": h.via or None,
            "registration": {k: _text(v) for k, v in h.kwargs.items() if k in _REGISTRATION_KEYS},
            "params": [{"name": p.name, "annotation": _text(p.annotation), "controlled": p.controlled,
                        "constraint": p.constraint, "why_not": p.why_not or None,
                        "sanitizers": sorted(p.sanitizers), "raw_arguments": p.raw_arguments,
                        "arguments_attribute": p.arguments_attr, "line": line(p.node)} for p in h.params],
        })
    return {
        "servers": servers,
        "module_transports": [transport(t) for t in model.module_transports],
        "handlers": handlers,
        "unresolved": [{"kind": u.kind, "form": u.form, "line": line(u.node), "expression": u.expression}
                       for u in model.unresolved],
        "error": None,
    }
