"""Text rendering of `mcp-lint inspect`: what the server model saw in a file. Everything taken
from the file (its path, names, annotations, expressions) is shown through `escape`."""

from __future__ import annotations

from typing import Any, TextIO

from rich.text import Text
from rich.tree import Tree

from mcp_lint.model.text import escape
from mcp_lint.output.reporters.console import make_console


def render_model(doc: dict[str, Any], out: TextIO) -> None:
    console = make_console(out)
    root = Tree(Text(escape(doc["path"]), style="bold"))
    if doc.get("error"):
        root.add(Text(escape(f"error: {doc['error']}"), style="red"))
        console.print(root)
        return
    if not doc["servers"] and not doc["handlers"]:
        root.add(Text("no MCP server or handler found", style="dim"))
    for s in doc["servers"]:
        label = f"server {s['binding'] or '<unbound>'} ({s['flavour']}, {s['constructor']}) line {s['line']}"
        node = root.add(Text(escape(label), style="bold cyan"))
        for t in s["transports"]:
            host = f", host {t['host']}" if t["host"] else ""
            node.add(escape(f"transport {t['kind']}: {t['via']} (line {t['line']}{host})"))
        if not s["transports"]:
            node.add(Text("transport: not started in this file", style="dim"))
        auth = "configured" if s["auth"]["configured"] else f"none ({s['auth']['detail']})"
        node.add(escape(f"auth: {auth}"))
        for key in ("host", "mask_error_details", "strict_input_validation", "lifespan"):
            if s[key] is not None:
                node.add(escape(f"{key.replace('_', ' ')}: {s[key]}"))
    for t in doc["module_transports"]:
        root.add(escape(f"transport {t['kind']}: {t['via']} (line {t['line']})"))
    for h in doc["handlers"]:
        where = f" on {h['server']}" if h["server"] else ""
        conf = "" if h["confidence"] == "high" else f", {h['confidence']} confidence"
        label = f"{h['kind']} {h['name']!r} -> {h['function']}() line {h['line']} [{h['form']}, {h['flavour']}{where}{conf}]"
        node = root.add(Text(escape(label), style="bold"))
        if h["validate_input"] is not None:
            node.add(escape(f"arguments schema-validated by the SDK: {'yes' if h['validate_input'] else 'no'}"))
        for key, value in h["registration"].items():
            node.add(escape(f"{key}={value}"))
        for p in h["params"]:
            ann = f": {p['annotation']}" if p["annotation"] else ""
            if p["controlled"]:
                desc = f"model-controlled, {p['constraint']}"
                if p["raw_arguments"]:
                    desc = "raw arguments mapping (model-controlled)"
                if p["arguments_attribute"]:
                    desc = "request params: .arguments is model-controlled"
            else:
                desc = f"not model-controlled: {p['why_not']}"
            node.add(escape(f"{p['name']}{ann}  ({desc})"))
    for u in doc["unresolved"]:
        root.add(Text(escape(f"{u['kind']} registered from {u['expression']} line {u['line']} [{u['form']}]: "
                             f"defined elsewhere, not analysed here"), style="yellow"))
    console.print(root)
