"""The one door between the audit and the rest of mcp-lint.

Everything the audit uses of mcp-lint's internals goes through here: the pieces the facts
primitive builds on (the primitive base class, the file context, the server model's
constants, CST helpers, positions) and the pipeline that runs `check` over a project and
hands back its findings and the per-file facts. When the pipeline moves, this file is
the only one to re-point.

`run_check` runs exactly what `mcp-lint check ROOT` runs (the configuration's rules, the
findings cache, the project stage for manifests), plus one extra rule whose primitive,
`audit-facts`, reports nothing and returns the audit's facts for each file. Paths come back
relative to ROOT.

The facts primitive itself subclasses `primitives.base.Primitive` directly: it is registered
among the primitives (a spawned worker must find it by name), so it moves with them. This
module never imports the primitives at import time, so either may be imported first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..findings import FileError, Finding  # noqa: F401

# What the facts primitive builds on, imported when first asked for: a run answered from the
# findings cache never loads the parser.
_ANALYSIS = frozenset({"cst", "sdk", "argument", "dotted", "keyword", "string_value", "FileContext", "LineTable",
                       "resolve_spans", "Key", "List", "Map", "Str"})


def _analysis() -> dict[str, Any]:
    import libcst as cst

    from ..analysis import sdk
    from ..analysis.cst_utils import argument, dotted, keyword, string_value
    from ..context import FileContext
    from ..positions import LineTable, resolve_spans
    from ..schema import Key, List, Map, Str

    return {"cst": cst, "sdk": sdk, "argument": argument, "dotted": dotted, "keyword": keyword,
            "string_value": string_value, "FileContext": FileContext, "LineTable": LineTable,
            "resolve_spans": resolve_spans, "Key": Key, "List": List, "Map": Map, "Str": Str}


def __getattr__(name: str) -> Any:
    if name not in _ANALYSIS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    values = _analysis()
    globals().update(values)
    return values[name]


FACTS_RULE_ID = "MCP000"  # the id the facts travel under in FileResult.facts (never a finding)
FACTS_PRIMITIVE = "audit-facts"


class AuditUsageError(Exception):
    """A configuration or rule-pack problem: exit 2 with this message."""


@dataclass
class CheckRun:
    root: Path
    files: list[str] = field(default_factory=list)  # Python files examined, relative to root
    findings: list[Finding] = field(default_factory=list)  # paths relative to root
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)  # relative path -> audit facts
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    enabled: frozenset[str] = frozenset()  # rule ids the configuration enables
    exclude: tuple[str, ...] = ()  # the configuration's exclude patterns (gitignore syntax)


def run_check(root: Path, *, config: Path | None = None, no_cache: bool = False, cache_dir: Path | None = None,
              jobs: int = 0, progress: bool = False) -> CheckRun:
    """`mcp-lint check ROOT` with the audit's facts gathered in the same walk."""
    from ..commands import CheckOptions, UserError, _project_files, _registry, _run, _select, _settings
    from ..discovery import discover
    from ..project import scan_project
    from ..rulepack import PackError
    from ..settings import ConfigError

    root = root.resolve()
    try:
        settings = _settings(config, [str(root)])
        registry = _registry(settings)
        rules = _select(registry, settings)
    except (ConfigError, PackError, UserError) as exc:
        raise AuditUsageError(str(exc)) from None
    found = discover([str(root)], settings)
    project = scan_project(_project_files(found.files, [str(root)], settings))
    opts = CheckOptions(paths=[str(root)], output_format="full" if progress else "json", jobs=jobs,
                        no_cache=no_cache, cache_dir=cache_dir, quiet=not progress)
    result = _run(found.files, [*rules, facts_rule(registry)], settings, registry, project, opts, root)
    run = CheckRun(root=root, files=list(result.files), findings=list(result.findings),
                   enabled=frozenset(r.id for r in rules),
                   exclude=tuple(settings.exclude) + tuple(settings.extend_exclude))
    for raw, by_rule in result.facts.items():
        facts = by_rule.get(FACTS_RULE_ID)
        if isinstance(facts, dict):
            run.facts[_relative(Path(raw), root)] = facts
    run.errors = [(e.path, e.message) for e in result.errors] + [(p, m) for p, m in found.errors]
    return run


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def facts_rule(registry=None):
    """The rule that carries the `audit-facts` primitive. Which constructors make a network
    client or a connection pool is read from MCP404's own list when that rule is loaded, so
    the audit and the rule agree."""
    from ..findings import Confidence, Severity
    from ..rulepack import Docs, Rule

    clients: list[str] = []
    rule = registry.get("MCP404") if registry is not None else None
    if rule is not None and rule.primitive == "call-check":
        for entry in rule.params.get("calls", ()):
            calls = entry.get("call", ())
            clients.extend([calls] if isinstance(calls, str) else calls)
    params: dict[str, Any] = {}
    if clients:
        params["clients"] = tuple(clients)
    return Rule(id=FACTS_RULE_ID, name="audit-facts", pack="audit", message="", severity=Severity.INFO,
                confidence=Confidence.LOW, tags=(), docs=Docs(what="Facts for `mcp-lint audit`.", why=""),
                primitive=FACTS_PRIMITIVE, params=MappingProxyType(params), invalid=(), valid=(), enabled=False)


def read_dependencies(path: Path) -> list[tuple[str, int]] | None:
    """(canonical name, line) of each requirement a pyproject.toml / requirements*.txt declares
    (None: not a manifest this reader knows, or unreadable)."""
    from ..manifests import read_manifest

    manifest = read_manifest(path)
    if manifest is None:
        return None
    return [(d.name, d.span.start_line) for d in manifest.dependencies]


def version() -> str:
    from .. import __version__
    return __version__
