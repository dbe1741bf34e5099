"""`unbounded-dependency`: a project requires an SDK with no upper bound below the major
version that removed an API its code uses (MCP601).

Per file (during the walk) it records uses of the APIs the rule lists under `removed`:
- `import`: an import binding that qualified name or anything below it
  (`from mcp.server.fastmcp import FastMCP`, `import mcp.server.fastmcp`), or a call through
  a dotted path below it (`import mcp` ... `mcp.server.fastmcp.FastMCP(...)`);
- `call`: a call of that qualified name (`FastMCP.as_proxy(...)`);
- `method`: a method called on, or a decorator of, a server of one of the `server`
  flavours, optionally only with a `keyword` (`@server.call_tool()` on a low-level 1.x
  server, `mcp.mount(sub, prefix=...)` on fastmcp).
Imports written as a fallback (in a `try` that catches `ImportError`, or its handler) do not
count: that code already copes with either version. Uses come back from the worker as
plain `ApiUse` tuples.

Per project (the files one manifest governs) it reports each requirement of the API's
package that admits the major version that removed the API: unbounded (`mcp>=1.1`, `mcp`),
or bounded too late (`mcp<3`). A requirement that starts at that major (`mcp>=2`) is not
this rule's case: nothing it allows ever had the API, so the use is in code the project does
not run against it (examples, a compatibility branch) or plainly broken, which tests catch.
A package a manifest bounds for every install (a requirement without an environment marker
that stops below the major) is not reported, whatever other lines of the same manifest say:
the resolver applies all of them together.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.analysis.cst_utils import dotted
from mcp_lint.check.context import FileContext
from mcp_lint.source.manifests import Dependency, admits_before, admits_from, bounded
from mcp_lint.source.lines import LineTable
from mcp_lint.analysis.positions import resolve_spans
from mcp_lint.model.schema import Int, Key, List, Map, Str, Where
from mcp_lint.check.primitives.base import ProjectPrimitive

if TYPE_CHECKING:
    from mcp_lint.check.project_api import Project, ProjectIssue

# Plain strings: a pack's schema holds plain data (its values are listed in messages and docs).
_FLAVOURS = tuple(f.value for f in (sdk.MCP1, sdk.MCP2, sdk.FASTMCP, sdk.LOWLEVEL, sdk.LOWLEVEL1, sdk.LOWLEVEL2))
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _one_form(entry: dict, where: Where) -> None:
    forms = [k for k in ("import", "call", "method") if entry.get(k)]
    if len(forms) != 1:
        raise where.error("give exactly one of 'import', 'call', 'method'")
    if entry.get("method") and not entry.get("server"):
        raise where.error("'method' needs 'server': the server flavours it applies to")
    if (entry.get("server") or entry.get("keyword")) and not entry.get("method"):
        raise where.error("'server' and 'keyword' go with 'method'")


_REMOVED = Map({
    "package": Key(Str(pattern=r"[A-Za-z0-9][A-Za-z0-9._-]*"), required=True),
    "major": Key(Int(minimum=1), required=True),
    "import": Key(Str()),
    "call": Key(Str()),
    "method": Key(List(Str(), single_ok=True), default=()),
    "server": Key(List(Str(choices=_FLAVOURS), single_ok=True), default=()),
    "keyword": Key(Str()),
}, check=_one_form)


class ApiUse(NamedTuple):
    """One use of a removed API in a file. Facts travel and are cached as plain tuples, so the
    project stage rebuilds this from one (`ApiUse(*raw)`)."""

    package: str
    major: int  # the version that removed it
    api: str  # as written, e.g. `mcp.server.fastmcp.FastMCP`, `@server.call_tool()`
    line: int


class UnboundedDependency(ProjectPrimitive):
    NAME = "unbounded-dependency"
    PARAMS = Map({"removed": Key(List(_REMOVED, min_items=1), required=True)})
    PLACEHOLDERS = frozenset({"requirement", "package", "major", "api", "used_at", "more", "bounded"})

    def setup(self) -> None:
        from packaging.utils import canonicalize_name

        entries = [dict(e, package=canonicalize_name(e["package"])) for e in self.params["removed"]]
        self.imports = [(e["import"], e) for e in entries if e["import"]]
        self.calls = {e["call"]: e for e in entries if e["call"]}
        self.methods: dict[str, list[dict]] = {}
        for e in entries:
            for method in e["method"]:
                self.methods.setdefault(method, []).append(e)

    def enter(self):
        hooks: dict = {}
        if self.imports:
            hooks[cst.Import] = hooks[cst.ImportFrom] = self.on_import
        if self.calls or self.methods:
            hooks[cst.Call] = self.on_call
        return hooks

    # -- per file -------------------------------------------------------------------------------
    def _record(self, ctx: FileContext, node: cst.CSTNode, entry: dict, api: str) -> None:
        ctx.scratch.setdefault(self.rule.id, []).append((node, entry, api))

    def on_import(self, node: cst.Import | cst.ImportFrom, ctx: FileContext) -> None:
        if self._fallback_import(ctx):
            return
        for name in _imported_names(node):
            for prefix, entry in self.imports:
                if name == prefix or name.startswith(prefix + "."):
                    self._record(ctx, node, entry, name)
                    return

    def on_call(self, node: cst.Call, ctx: FileContext) -> None:
        qual = ctx.resolve(node.func)
        if qual is not None and qual in self.calls:
            self._record(ctx, node, self.calls[qual], f"{dotted(node.func) or qual}()")
            return
        if qual is not None and "." in (dotted(node.func) or ""):  # `import mcp` ... `mcp.server.fastmcp.X()`
            for prefix, entry in self.imports:
                if qual.startswith(prefix + "."):
                    self._record(ctx, node, entry, qual)
                    return
        if not isinstance(node.func, cst.Attribute):
            return
        entries = self.methods.get(node.func.attr.value)
        if not entries:
            return
        receiver = dotted(node.func.value)
        flavours = {s.flavour for s in ctx.model.servers if receiver is not None and s.binding == receiver}
        for entry in entries:
            if not flavours & set(entry["server"]):
                continue
            keyword = entry["keyword"]
            if keyword and not any(a.keyword is not None and a.keyword.value == keyword for a in node.args):
                continue
            shown = f"{receiver}.{node.func.attr.value}({keyword + '=...' if keyword else ''})"
            ancestors = ctx.state.ancestors
            if len(ancestors) > 1 and isinstance(ancestors[-2], cst.Decorator):
                shown = "@" + shown
            self._record(ctx, node, entry, shown)
            return

    @staticmethod
    def _fallback_import(ctx: FileContext) -> bool:
        """Is the import inside a `try` that catches ImportError (or in its handler)?"""
        for try_node, _part in ctx.state.trys:
            for handler in try_node.handlers:
                caught = handler.type
                names = [caught] if not isinstance(caught, cst.Tuple) else [e.value for e in caught.elements]
                if caught is None or any((dotted(n) or "").rsplit(".", 1)[-1] in _IMPORT_ERRORS for n in names):
                    return True
        return False

    def facts(self, ctx: FileContext) -> tuple[ApiUse, ...] | None:
        found = ctx.scratch.get(self.rule.id)
        if not found:
            return None
        spans = resolve_spans(ctx.module, [node for node, _, _ in found], LineTable(ctx.source))
        uses = {ApiUse(e["package"], e["major"], api, spans[node].start_line)
                for node, e, api in found if node in spans}
        return tuple(tuple(u) for u in sorted(uses, key=lambda u: (u.line, u.api)))

    # -- per project ----------------------------------------------------------------------------
    def check_project(self, project: Project) -> Iterator[ProjectIssue]:
        from mcp_lint.check.project_api import ProjectIssue  # the stage imports the primitives

        # (package, major) -> uses as (shown path, line, api), in path/line order
        uses: dict[tuple[str, int], list[tuple[str, int, str]]] = {}
        for source in project.files:
            for use in map(ApiUse._make, source.facts):
                uses.setdefault((use.package, use.major), []).append((source.shown, use.line, use.api))
        for manifest in project.manifests:
            for (package, major), where in sorted(uses.items()):
                deps = manifest.requiring(package)
                if not deps or _bounded_everywhere(deps, major):
                    continue
                where.sort()
                shown, line, api = where[0]
                for dep in deps:
                    if not admits_from(dep, major) or not admits_before(dep, major):
                        continue  # bounded in time, or requiring the new major outright
                    fields: dict[str, Any] = {
                        "requirement": dep.text, "package": package, "major": major, "api": api,
                        "used_at": f"{shown}:{line}",
                        "more": f" (and {len(where) - 1} more use{'s' if len(where) > 2 else ''})"
                                if len(where) > 1 else "",
                        "bounded": bounded(dep, major),
                    }
                    yield ProjectIssue(manifest, dep.span, fields)


def _bounded_everywhere(deps: list[Dependency], major: int) -> bool:
    """Does one always-installed requirement of the package stop below `major`?"""
    return any(not admits_from(d, major) and not d.section.startswith("project.optional")
               and (d.requirement is None or d.requirement.marker is None) for d in deps)


def _imported_names(node: cst.Import | cst.ImportFrom) -> list[str]:
    """Qualified names an import statement binds (relative imports: none)."""
    if isinstance(node, cst.Import):
        return [dotted(a.name) or "" for a in node.names]
    if node.relative:
        return []
    module = dotted(node.module) if node.module is not None else None
    if not module:
        return []
    if isinstance(node.names, cst.ImportStar):
        return [module]
    return [f"{module}.{dotted(a.name)}" for a in node.names]
