"""The project as the audit sees it: the check's findings and per-file facts joined across
files, with the repository's other files beside them.

Files have a role, from their path relative to the project root: `test` (under a tests/
folder, `test_*.py`, `*_test.py`, `conftest.py`), `example` (under examples/, samples/,
demo/ ...), `bench` (under bench/, benchmarks/ ...) or `source` (everything else). Only
source files count as the server's code: findings, servers and tools in tests and examples
do not judge the server. Manifest findings (MCP601) count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import mcp_lint.analysis.audit_knowledge as K
from mcp_lint.model.findings import Finding
from mcp_lint.output.audit.model import CheckRun, Evidence
from mcp_lint.output.audit.repo import Repo


@dataclass
class Tool:
    name: str
    function: str
    path: str
    line: int
    # "tool" (a handler the model resolved), "declared" (a low-level server's `Tool(name=...)`), or
    # "unresolved" (registered from a function defined elsewhere: only its name is known)
    kind: str = "tool"
    params: list[tuple[str, str, bool]] = field(default_factory=list)
    doc: bool = True
    returns: bool = True
    is_async: bool = False
    mutating: list[tuple[str, int]] = field(default_factory=list)
    identity: list[tuple[str, int]] = field(default_factory=list)
    confidence: str = "high"

    @property
    def where(self) -> Evidence:
        return Evidence(self.path, self.line or None, f"tool `{self.name}`")


@dataclass
class Server:
    path: str
    module: str
    flavour: str
    binding: str
    line: int
    defined: bool
    constructor: str
    transports: list[tuple[str, str, int, str]]  # (kind, how, line, host)
    auth: bool
    auth_how: str
    scopes: bool
    host: str
    version: bool
    lifespan: str
    mask_errors: bool


@dataclass
class Transport:
    path: str
    kind: str
    via: str
    line: int
    host: str
    server: Server | None


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def role(path: str) -> str:
    parts = PurePosixPath(path).parts
    if K.is_test_path(tuple(parts)):
        return "test"
    if any(p in K.EXAMPLE_DIRS for p in parts[:-1]):
        return "example"
    if any(p in K.BENCH_DIRS for p in parts[:-1]) or (parts and parts[-1].startswith("bench")):
        return "bench"
    if parts and parts[0] in ("docs", "doc"):
        return "docs"
    return "source"


def module_name(path: str) -> str:
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[0] in ("src", "lib") and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


class Project:
    def __init__(self, run: CheckRun, repo: Repo) -> None:
        self.run = run
        self.repo = repo
        self.root = run.root
        self.source: dict[str, dict[str, Any]] = {}
        self.tests: dict[str, dict[str, Any]] = {}
        for path, facts in sorted(run.facts.items()):
            r = role(path)
            if facts.get("kind") == "test":
                self.tests[path] = facts
            elif r == "source":
                self.source[path] = facts
        self.source_files = [p for p in run.files if role(p) == "source"]
        self.findings: list[Finding] = [f for f in run.findings if role(f.path) in ("source", "docs")
                                        or not f.path.endswith((".py", ".pyi"))]
        self.by_rule: dict[str, list[Finding]] = {}
        for f in self.findings:
            self.by_rule.setdefault(f.rule_id, []).append(f)
        self.modules = {module_name(p): p for p in self.source_files}
        self.servers = self._servers()
        self.transports = self._transports()
        self.tools = self._tools()

    # -- findings ---------------------------------------------------------------------------------
    def rule(self, *ids: str) -> list[Finding]:
        return [f for i in ids for f in self.by_rule.get(i, [])]

    def disabled(self, *ids: str) -> list[str]:
        return [i for i in ids if i not in self.run.enabled]

    @staticmethod
    def cite(findings: list[Finding], limit: int = 8) -> list[Evidence]:
        return [Evidence(f.path, f.span.start_line, f"{f.rule_id} {f.message[:90]}") for f in findings[:limit]]

    @staticmethod
    def tally(findings: list[Finding]) -> str:
        counts = Counter(f.rule_id for f in findings)
        return ", ".join(f"{rule} x{n}" for rule, n in sorted(counts.items()))

    # -- facts ------------------------------------------------------------------------------------
    def evidence(self, category: str, limit: int = 8) -> list[Evidence]:
        out = []
        for path, facts in self.source.items():
            for detail, line in facts.get("evidence", {}).get(category, []):
                out.append(Evidence(path, line or None, detail))
        return out[:limit] if limit else out

    def each(self, key: str):
        """(path, item) for every item of a per-file fact list, over source files."""
        for path, facts in self.source.items():
            for item in facts.get(key, []):
                yield path, item

    def imports(self, roots: frozenset[str] | set[str], prefixes: tuple[str, ...] = (),
                parts: frozenset[str] = frozenset()) -> list[Evidence]:
        """Source files importing a module under one of `roots` (or `prefixes`, or with a
        component in `parts`), one piece of evidence per file."""
        out = []
        for path, facts in self.source.items():
            for module in facts.get("imports", []):
                if module.split(".", 1)[0] in roots or (prefixes and module.startswith(prefixes)) or (
                        parts and not module.startswith(".") and set(module.split(".")[:-1]) & parts):
                    out.append(Evidence(path, None, f"imports {module}"))
                    break
        return out

    def declared(self, distributions: frozenset[str]) -> list[Evidence]:
        return [Evidence(hit.path, hit.line, f"declares {name}") for name, hit in sorted(self.repo.dependencies.items())
                if name in distributions]

    @property
    def has_mcp(self) -> bool:
        return bool(self.servers or self.tools)

    @property
    def async_functions(self) -> int:
        return sum(f.get("async_functions", 0) for f in self.source.values())

    # -- servers, transports, tools ---------------------------------------------------------------
    def _servers(self) -> list[Server]:
        out = []
        for path, s in self.each("servers"):
            auth, how = (s.get("auth") or [False, ""])[:2]
            out.append(Server(path=path, module=module_name(path), flavour=s["flavour"], binding=s["binding"],
                              line=s["line"], defined=s["defined"], constructor=s["constructor"],
                              transports=[tuple(t) for t in s["transports"]], auth=bool(auth), auth_how=how,
                              scopes=s["scopes"], host=s["host"], version=s["version"], lifespan=s["lifespan"],
                              mask_errors=s["mask_errors"]))
        return out

    def defining(self, server: Server) -> Server:
        """The server a reference (`from .app import mcp`) stands for, when the project defines it."""
        if server.defined:
            return server
        marker = "(created in "
        if marker in server.constructor:
            qual = server.constructor.split(marker, 1)[1].rstrip(")")
            module, _, binding = qual.rpartition(".")
            for other in self.servers:
                if other.defined and other.binding == binding and (
                        other.module == module or module.endswith("." + other.module) or other.module.endswith(
                            "." + module)):
                    return other
        return server

    def _transports(self) -> list[Transport]:
        out = []
        for server in self.servers:
            for kind, via, line, host in server.transports:
                out.append(Transport(server.path, kind, via, line, host or server.host, self.defining(server)))
        for path, (kind, via, line, host) in self.each("module_transports"):
            here = [s for s in self.servers if s.path == path]
            out.append(Transport(path, kind, via, line, host, self.defining(here[0]) if len(here) == 1 else None))
        return out

    @property
    def http(self) -> list[Transport]:
        return [t for t in self.transports if t.kind == "http"]

    @property
    def runtime_transport(self) -> list[Transport]:
        return [t for t in self.transports if t.kind not in ("http", "stdio")]

    @property
    def stdio_only(self) -> bool:
        return bool(self.transports) and all(t.kind == "stdio" for t in self.transports)

    def _tools(self) -> list[Tool]:
        out: list[Tool] = []
        seen = set()
        dispatchers: list[tuple[str, dict]] = []
        for path, h in self.each("handlers"):
            if h["kind"] == "tool-dispatcher":
                dispatchers.append((path, h))
                continue
            if h["kind"] != "tool":
                continue
            key = (path, h["function"], h["name"])
            if key in seen:
                continue
            seen.add(key)
            out.append(Tool(name=h["name"], function=h["function"], path=path, line=h["line"],
                            params=[tuple(p) for p in h["params"]], doc=h["doc"], returns=h["returns"],
                            is_async=h["async"], mutating=[tuple(m) for m in h["mutating"]],
                            identity=[tuple(i) for i in h["identity"]], confidence=h["confidence"]))
        identity = [tuple(i) for _, h in dispatchers for i in h["identity"]]
        names = {t.name for t in out}
        for path, (name, params, line) in self.each("declared_tools"):
            if name in names:
                continue
            names.add(name)
            out.append(Tool(name=name, function="", path=path, line=line, kind="declared", identity=identity,
                            params=[(p, c, True) for p, c in params or ()], doc=True, returns=True,
                            is_async=True, confidence="medium" if params is not None else "low"))
        for path, (kind, _expr, line, name) in self.each("unresolved"):
            if kind != "tool" or not name or name in names:
                continue
            names.add(name)
            out.append(Tool(name=name, function="", path=path, line=line, kind="unresolved", confidence="low"))
        return [t for t in out if t.name]

    def dispatchers(self) -> list[tuple[str, dict]]:
        return [(p, h) for p, h in self.each("handlers") if h["kind"] == "tool-dispatcher"]

    def unresolved(self) -> list[Evidence]:
        out, seen = [], set()
        for path, (kind, expr, line, _name) in self.each("unresolved"):
            if kind == "tool" and (path, expr) not in seen:
                seen.add((path, expr))
                out.append(Evidence(path, line, f"tool registered from `{expr}`"))
        return out

    # -- tests ------------------------------------------------------------------------------------
    def server_modules(self) -> set[str]:
        mods = set()
        for module in self.modules:
            if module:
                mods.add(module)
                mods.add(module.split(".", 1)[0])
        return mods

    def test_imports_server(self, facts: dict[str, Any]) -> bool:
        mods = self.server_modules()
        for imported in facts.get("imports", []):
            if imported.startswith("."):
                continue
            head = imported.split(".", 1)[0]
            if imported in mods or head in mods and head not in ("tests", "test"):
                return True
        return False

    def test_launches_server(self, facts: dict[str, Any]) -> bool:
        """A test that starts the server as a process (stdio_client(StdioServerParameters(
        args=["server.py"])), `Client("server.py")`) names one of its files or modules."""
        if not any(kind in ("stdio server launch", "stdio client", "fastmcp Client") for kind, _ in facts.get("clients", [])):
            return False
        basenames = {PurePosixPath(p).name for p in self.source_files}
        modules = self.server_modules()
        for s in facts.get("strings", []):
            if s.endswith(".py") and PurePosixPath(s).name in basenames:
                return True
            if s in modules:
                return True
        return False
