"""The checklist: each item, how it is judged (the text `--explain` prints and docs/audit.md
shows), and the judge itself.

A judge reads the project (`evidence.Project`: findings, per-file facts, repository files)
and returns one `ItemResult`: a status, a one-line verdict, a confidence and the evidence as
`file:line` references. Statuses: `pass`, `partial`, `fail`, `not-applicable` (with the
reason) and `manual` (no static judgement would be honest; the reason says what to look at).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mcp_lint.analysis.audit_knowledge as K
from mcp_lint.output.audit.evidence import LOOPBACK, Project, Tool
from mcp_lint.output.audit.model import (FAIL, HIGH, LOW, MANUAL, MEDIUM, NOT_APPLICABLE, PARTIAL, PASS, Evidence,
                                         ItemResult)
from mcp_lint.output.audit.repo import deploy_headings, mentions

AREAS = ("Development", "Security", "Performance", "Operations", "Maintenance")


@dataclass(frozen=True)
class Item:
    id: str
    area: str
    title: str
    asks: str  # what the checklist item means here
    passes: str
    partial: str
    fails: str
    not_applicable: str
    manual: str
    confidence: str
    limits: str
    judge: Callable[[Project], ItemResult]


def _result(item_id: str, status: str, verdict: str, confidence: str, evidence=(), reason: str | None = None,
            ) -> ItemResult:
    item = BY_ID[item_id]
    return ItemResult(item.id, item.area, item.title, status, verdict, confidence, list(evidence)[:10], reason)


def _na(item_id: str, reason: str, evidence=()) -> ItemResult:
    return _result(item_id, NOT_APPLICABLE, f"not applicable: {reason}", HIGH, evidence, reason)


def _manual(item_id: str, reason: str, evidence=()) -> ItemResult:
    return _result(item_id, MANUAL, f"review by hand: {reason}", LOW, evidence, reason)


_NO_SERVER = "no MCP server or tool found under PATH"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _names(tools: list[Tool], limit: int = 6) -> str:
    shown = ", ".join(f"`{t.name}`" for t in tools[:limit])
    return shown + (f" and {len(tools) - limit} more" if len(tools) > limit else "")


def _with_disabled(p: Project, verdict: str, confidence: str, *rules: str) -> tuple[str, str]:
    off = p.disabled(*rules)
    if off:
        return f"{verdict} ({', '.join(off)} disabled by the configuration)", LOW
    return verdict, confidence


# -- Development ----------------------------------------------------------------------------------

_STRONG = frozenset({"literal", "field", "model", "scalar"})
_WEAK = frozenset({"plain", "typed-container"})
_UNTYPED = frozenset({"none", "any", "container"})
_LABELS = {"literal": "Literal/enum", "field": "Field(...)", "model": "model", "scalar": "scalar", "plain": "plain str",
           "typed-container": "typed container", "none": "no annotation", "any": "Any", "container": "bare dict/list"}


def judge_types(p: Project) -> ItemResult:
    i = "type-driven-design"
    dispatchers = p.dispatchers()
    raw = [(path, h) for path, h in dispatchers if h.get("validate_input") is False]
    resolved = [t for t in p.tools if t.kind == "tool"]
    declared = list(p.each("declared_tools"))
    unresolved = p.unresolved()
    findings = p.rule("MCP201", "MCP205")
    if not resolved and not dispatchers and not declared:
        if unresolved:
            return _manual(i, f"{_plural(len(unresolved), 'tool')} registered from functions defined elsewhere; "
                              "their parameters are not analysed", unresolved[:3])
        return _manual(i, _NO_SERVER)
    # (tool, path, line, parameter, constraint)
    params = [(t.name, t.path, t.line, name, c) for t in resolved for name, c, controlled in t.params if controlled]
    opaque = []
    if not raw:
        for path, (name, schema, line) in declared:
            if schema is None:
                opaque.append(Evidence(path, line, f"tool `{name or '?'}`: schema built at run time"))
            for pname, c in schema or ():
                params.append((name or "?", path, line, pname, c))
    if not params and not raw and not findings:
        if opaque:
            return _manual(i, "the tools' input schemas are built at run time", opaque[:3])
        return _na(i, "the tools take no parameters")
    strong = [x for x in params if x[4] in _STRONG]
    weak = [x for x in params if x[4] in _WEAK]
    untyped = [x for x in params if x[4] in _UNTYPED]
    total = len(params) + len(raw)
    loose = max(len(untyped) + len(raw), len(findings))
    returns = sum(1 for t in resolved if t.returns)
    verdict = (f"{len(strong)}/{total} tool parameters constrained (Literal, enum, Field, model or scalar), "
               f"{len(weak)} plain `str`/containers, {loose} untyped or unvalidated")
    if declared and not raw:
        verdict += " (low-level tools: from their JSON Schemas)"
    if resolved:
        verdict += f"; {returns}/{len(resolved)} tools declare a return type"
    evidence = p.cite(findings) + [Evidence(path, h["line"], "low-level arguments not validated") for path, h in raw]
    if not findings:
        evidence += [Evidence(path, line, f"`{tool}`: `{name}` {_LABELS.get(c, c)}")
                     for tool, path, line, name, c in untyped[:4]]
    if not evidence:
        evidence = [Evidence(path, line, f"`{tool}`: `{name}` {_LABELS.get(c, c)}")
                    for tool, path, line, name, c in (strong + weak)[:5]]
    share_untyped = loose / total if total else 0
    if loose == 0 and (not params or len(strong) / len(params) >= 0.5):
        status = PASS
    elif loose == 0 or share_untyped <= 0.2:
        status = PARTIAL
    else:
        status = FAIL
    confidence = MEDIUM if unresolved or opaque or (declared and not raw) else HIGH
    verdict, confidence = _with_disabled(p, verdict, confidence, "MCP201")
    return _result(i, status, verdict, confidence, evidence)


def _coded_names(p: Project) -> set[str]:
    coded = set(_SDK_CODED)
    classes = {name: (bases, code) for _, (name, bases, code, _line) in p.each("error_classes")}
    changed = True
    while changed:
        changed = False
        for name, (bases, code) in classes.items():
            if name not in coded and (code or any(b in coded for b in bases)):
                coded.add(name)
                changed = True
    return coded


_SDK_CODED = frozenset({"McpError", "MCPError", "ToolError", "ResourceError", "PromptError", "ResourceNotFoundError",
                        "UrlElicitationRequiredError", "NotFoundError", "AuthorizationError", "FastMCPError",
                        "InsufficientScopeError", "DisabledError", "ValidationError"})


def judge_errors(p: Project) -> ItemResult:
    i = "error-handling"
    if not p.has_mcp:
        return _manual(i, _NO_SERVER)
    coded_names = _coded_names(p)
    coded = [Evidence(path, line, f"raises {name}") for path, (name, _h, line) in p.each("raises") if name in coded_names]
    coded += p.evidence("coded-result", 0)
    masked = [Evidence(s.path, s.line, "mask_error_details=True") for s in p.servers if s.mask_errors]
    bad = p.rule("MCP301", "MCP302", "MCP303", "MCP304", "MCP305")
    generic = [Evidence(path, line, f"raises {name}") for path, (name, in_handler, line) in p.each("raises")
               if name in K.GENERIC_EXCEPTIONS and not in_handler]
    verdict = f"{_plural(len(coded), 'coded error')} raised or returned"
    if bad:
        verdict += f"; {_plural(len(bad), 'finding')} ({p.tally(bad)})"
        status = PARTIAL if coded else FAIL
        confidence = HIGH
    elif generic and not coded:
        verdict += (f"; no finding in the tools, but {_plural(len(generic), 'generic exception')} raised in helpers "
                    "reach the client uncoded")
        status, confidence = PARTIAL, MEDIUM
        bad_evidence = generic[:4]
        return _result(i, status, *_with_disabled(p, verdict, confidence, "MCP301"), bad_evidence)
    else:
        verdict += "; no error-handling findings (MCP301-MCP305)"
        status = PASS
        confidence = HIGH if coded else MEDIUM
    verdict, confidence = _with_disabled(p, verdict, confidence, "MCP301", "MCP302", "MCP303", "MCP305")
    return _result(i, status, verdict, confidence, p.cite(bad, 6) + coded[:3] + masked[:1])


_EXERCISING = frozenset({"fastmcp Client", "in-memory client session", "client session", "call_tool",
                         "in-memory transport", "stdio client", "stdio server launch", "HTTP client", "SSE client"})


def judge_tests(p: Project) -> ItemResult:
    i = "tests"
    if not p.source and not p.tests:
        return _manual(i, "no Python code found under PATH")
    tests = {path: f for path, f in p.tests.items() if f.get("tests", 0) > 0}
    count = sum(f["tests"] for f in tests.values())
    if not tests:
        return _result(i, FAIL, "no test functions found (tests/, test_*.py, *_test.py)", HIGH)
    touching = {path: f for path, f in tests.items() if p.test_imports_server(f) or p.test_launches_server(f)}
    where = [Evidence(path, f.get("first_test"), f"{_plural(f['tests'], 'test')}") for path, f in tests.items()]
    if not touching:
        return _result(i, FAIL, f"{_plural(count, 'test')} in {_plural(len(tests), 'file')}, none imports or "
                                f"launches the server's code", HIGH, where[:4])
    clients = [Evidence(path, line, kind) for path, f in touching.items() for kind, line in f.get("clients", [])
               if kind in _EXERCISING]
    tools = p.tools
    if not tools:
        return _result(i, PASS, f"{_plural(count, 'test')} import the server's code; no tools found to check "
                                f"coverage against", LOW, where[:4])
    referenced, untested = [], []
    for tool in tools:
        if any(_exercises(p, f, tool) for f in touching.values()):
            referenced.append(tool)
        else:
            untested.append(tool)
    share = len(referenced) / len(tools)
    verdict = f"{len(referenced)}/{len(tools)} tools exercised by {_plural(count, 'test')}"
    if clients:
        verdict += f" ({clients[0].note} in {clients[0].path})"
    if untested:
        verdict += f"; untested: {_names(untested)}"
    evidence = clients[:3] + where[:2] + [Evidence(t.path, t.line, f"untested tool `{t.name}`") for t in untested[:5]]
    status = PASS if share >= 0.8 else PARTIAL
    return _result(i, status, verdict, MEDIUM, evidence)


def _exercises(p: Project, facts: dict, tool: Tool) -> bool:
    kinds = {kind for kind, _ in facts.get("clients", [])}
    if tool.name in facts.get("strings", []) and kinds & _EXERCISING:
        return True
    if tool.function and p.test_imports_server(facts):
        for called in facts.get("called", []):
            if tool.function in called.split("."):
                return True
    return False


def judge_async(p: Project) -> ItemResult:
    i = "async-usage"
    if not p.source:
        return _manual(i, "no Python code found under PATH")
    if p.async_functions == 0:
        return _na(i, "the server's code has no async functions")
    blocking = p.rule("MCP403")
    sequential = p.rule("MCP402")
    timeouts = p.rule("MCP401")
    offload = p.evidence("offload", 3)
    verdict = (f"{_plural(p.async_functions, 'async function')}: {len(blocking)} blocking calls (MCP403), "
               f"{len(sequential)} sequential awaits in loops (MCP402), {len(timeouts)} calls without a timeout "
               f"(MCP401)")
    if blocking:
        status = FAIL
    elif sequential or timeouts:
        status = PARTIAL
    else:
        status = PASS
    verdict, confidence = _with_disabled(p, verdict, HIGH, "MCP401", "MCP402", "MCP403")
    return _result(i, status, verdict, confidence, p.cite(blocking + sequential + timeouts) + offload)


def judge_idioms(p: Project) -> ItemResult:
    i = "idiomatic-code"
    misuse = p.rule("MCP001", "MCP203", "MCP204")
    linters = p.repo.linters
    checkers = p.repo.typecheckers
    tools = sorted({h.note for h in linters + checkers})
    if misuse:
        return _result(i, FAIL, f"SDK misuse or unparsable code: {p.tally(misuse)}", HIGH, p.cite(misuse))
    evidence = [Evidence(h.path, h.line, h.note) for h in (linters[:2] + checkers[:2])]
    if linters and checkers:
        return _result(i, PASS, f"linted and type-checked ({', '.join(tools)}); no SDK misuse (MCP203, MCP204)",
                       LOW, evidence)
    if linters or checkers:
        missing = "type checker" if linters else "linter"
        return _result(i, PARTIAL, f"{', '.join(tools)} configured, no {missing}; no SDK misuse (MCP203, MCP204)",
                       LOW, evidence)
    return _manual(i, "no linter or type checker configured and no SDK misuse found; idiom is for a reviewer to judge")


# -- Security -------------------------------------------------------------------------------------

_INJECTION = ("MCP101", "MCP102", "MCP103", "MCP104", "MCP105", "MCP108", "MCP112")


def judge_inputs(p: Project) -> ItemResult:
    i = "validate-inputs"
    if not p.tools and not p.dispatchers():
        return _manual(i, _NO_SERVER)
    injection = p.rule(*_INJECTION)
    schema = p.rule("MCP201", "MCP205")
    if injection:
        status, verdict = FAIL, f"tool input reaches a sink unchecked: {p.tally(injection)}"
        if schema:
            verdict += f"; untyped or unvalidated input: {p.tally(schema)}"
    elif schema:
        status, verdict = PARTIAL, f"no injection findings, but input is untyped or unvalidated: {p.tally(schema)}"
    else:
        status, verdict = PASS, (f"no injection (MCP101-MCP105, MCP108, MCP112) or untyped-input findings "
                                 f"over {_plural(len(p.tools), 'tool')}")
    verdict, confidence = _with_disabled(p, verdict, HIGH, *_INJECTION, "MCP201", "MCP205")
    return _result(i, status, verdict, confidence, p.cite(injection + schema))


def _db_use(p: Project) -> list[Evidence]:
    queries = [Evidence(path, line, f".{method}()") for path, (method, _loop, _h, line) in p.each("queries")]
    return queries or p.imports(K.DB_ROOTS, K.DB_PREFIXES)


def judge_queries(p: Project) -> ItemResult:
    i = "parameterized-queries"
    if not p.source:
        return _manual(i, "no Python code found under PATH")
    db = _db_use(p)
    sql = p.rule("MCP101")
    if not db and not sql:
        return _na(i, "no database driver or query found")
    if sql:
        verdict, confidence = _with_disabled(p, f"{_plural(len(sql), 'query', 'queries')} built by string "
                                                f"formatting (MCP101)", HIGH, "MCP101")
        return _result(i, FAIL, verdict, confidence, p.cite(sql))
    verdict, confidence = _with_disabled(p, f"no SQL built by string formatting over "
                                            f"{_plural(len(db), 'database use')} (MCP101)", MEDIUM, "MCP101")
    return _result(i, PASS, verdict, confidence, db[:4])


def _auth_of(p: Project, t) -> tuple[bool, str]:
    server = t.server
    if server is not None and server.auth:
        return True, f"{server.binding}: {server.auth_how}"
    return False, (f"{server.binding}: {server.auth_how}" if server is not None else "no server tied to it")


def judge_authentication(p: Project) -> ItemResult:
    i = "authentication"
    if not p.servers:
        return _manual(i, _NO_SERVER)
    http = p.http
    runtime = p.runtime_transport
    if not http and not runtime:
        if p.stdio_only:
            return _na(i, "stdio only: the process that launches the server is the trust boundary",
                       [Evidence(t.path, t.line, t.via) for t in p.transports[:2]])
        return _manual(i, "no transport found: how the server is served is decided outside this code")
    unauthenticated = p.rule("MCP110")
    asgi = p.evidence("asgi-auth", 3)
    missing, present, local = [], [], []
    for t in http + runtime:
        ok, how = _auth_of(p, t)
        where = Evidence(t.path, t.line, f"{t.via}: {how}")
        if ok or asgi:
            present.append(where)
        elif t.kind != "http" or not t.host or t.host in LOOPBACK or t.host.startswith("<"):
            local.append((t, where))
        else:
            missing.append(where)
    if unauthenticated or missing:
        verdict = f"HTTP transport without authentication ({len(unauthenticated or missing)} place(s))"
        return _result(i, FAIL, verdict, HIGH, p.cite(unauthenticated) + missing)
    if local:
        if any(t.kind != "http" for t, _ in local):
            why = "its transport is chosen at run time"
        elif any(t.host.startswith("<") for t, _ in local):
            why = "bound to a host chosen at run time"
        else:
            why = "bound to loopback, the default, unless a host is set where it is served"
        return _result(i, PARTIAL, f"no authentication on a server that is or may be served over HTTP ({why})", MEDIUM,
                       [w for _, w in local] + present)
    how = "ASGI authentication middleware" if asgi and not any(s.auth for s in p.servers) else \
        "auth provider or token verifier"
    return _result(i, PASS, f"every HTTP transport is authenticated ({how})", HIGH if not asgi else MEDIUM,
                   present + asgi)


def judge_authorization(p: Project) -> ItemResult:
    i = "authorization"
    if not p.servers and not p.tools:
        return _manual(i, _NO_SERVER)
    if not p.http and not p.runtime_transport:
        if p.stdio_only:
            return _na(i, "stdio only: one user, the one who launched the server")
        return _manual(i, "no transport found: whether the server has more than one user is decided elsewhere")
    changing = [t for t in p.tools if K.mutating_name(t.name) or t.mutating]
    if not changing:
        return _na(i, "no tool changes state (by its name or the calls it makes)")
    auth = judge_authentication(p)
    authenticated = any(s.auth for s in p.servers) or p.evidence("asgi-auth", 1)
    if auth.status == FAIL or not authenticated:
        return _result(i, FAIL, f"{_plural(len(changing), 'state-changing tool')} and no authentication: no verified "
                                "caller to check", HIGH, [t.where for t in changing[:5]])
    checked = [t for t in changing if t.identity]
    unchecked = [t for t in changing if not t.identity]
    scoped = [s for s in p.servers if s.scopes]
    evidence = [Evidence(t.path, line, why) for t in checked[:3] for why, line in t.identity[:1]]
    evidence += [Evidence(t.path, t.line, f"`{t.name}` {_why_changing(t)}, caller not checked") for t in unchecked[:5]]
    verdict = f"{len(checked)}/{len(changing)} state-changing tools check the caller's identity or scopes"
    if unchecked:
        verdict += f"; unchecked: {_names(unchecked)}"
    if not unchecked:
        status = PASS
    elif checked or scoped:
        status = PARTIAL
        if scoped and not checked:
            verdict += "; one server-wide scope covers every tool"
            evidence += [Evidence(s.path, s.line, "required_scopes") for s in scoped[:1]]
    else:
        status = FAIL
    return _result(i, status, verdict, MEDIUM if any(t.mutating for t in changing) else LOW, evidence)


def _why_changing(tool: Tool) -> str:
    if tool.mutating:
        return tool.mutating[0][0]
    return f"named `{K.mutating_name(tool.name)}`"


def judge_dependencies(p: Project) -> ItemResult:
    i = "audit-dependencies"
    repo = p.repo
    unbounded = p.rule("MCP601")
    locks = [Evidence(h.path, h.line, h.note) for h in repo.locks]
    bots = [Evidence(h.path, h.line, h.note) for h in repo.bots]
    audits = [Evidence(h.path, h.line, h.note) for h in repo.audits]
    if not repo.manifests and not locks:
        return _result(i, FAIL, "no dependency manifest (pyproject.toml, requirements*.txt) or lock file", HIGH)
    parts = [f"lock file: {'yes' if locks else 'no'}", f"update bot: {'yes' if bots else 'no'}",
             f"audit step: {'yes' if audits else 'no'}"]
    if unbounded:
        parts.append(f"unbounded mcp/fastmcp: {len(unbounded)} (MCP601)")
    verdict = "; ".join(parts)
    evidence = locks[:2] + bots[:1] + audits[:2] + p.cite(unbounded, 3)
    if locks and (bots or audits) and not unbounded:
        status = PASS
    elif locks or bots or audits:
        status = PARTIAL
    else:
        status = FAIL
    return _result(i, status, verdict, HIGH, evidence)


# -- Performance ----------------------------------------------------------------------------------

_SHARED = ("lifespan", "module", "setup", "cached-factory")


def judge_pooling(p: Project) -> ItemResult:
    i = "connection-pooling"
    if not p.source:
        return _manual(i, "no Python code found under PATH")
    clients = [(path, c) for path, c in p.each("clients")]
    per_call = p.rule("MCP404")
    flagged = {(f.path, f.span.start_line) for f in per_call}
    per_call_ev = p.cite(per_call) + [Evidence(path, line, f"{ctor} created on every call of a tool")
                                      for path, (ctor, where, _c, line) in clients
                                      if where == "handler" and (path, line) not in flagged]
    if not clients and not per_call:
        db = _db_use(p)
        if db and all(e.note.split()[-1].split(".")[0] in K.EMBEDDED_DB_ROOTS for e in p.imports(K.DB_ROOTS)) \
                and p.imports(K.DB_ROOTS):
            return _na(i, "the database is embedded in the process (sqlite, duckdb): nothing to pool")
        if db:
            return _manual(i, "database queries but no recognised connection or pool constructor", db[:3])
        return _na(i, "no network client, connection or pool is created")
    shared = [Evidence(path, line, f"{ctor} created in {where}") for path, (ctor, where, _w, line) in clients
              if where in _SHARED]
    helpers = [Evidence(path, line, f"{ctor} created in a helper function") for path, (ctor, where, _w, line) in clients
               if where == "function"]
    if per_call_ev:
        status = PARTIAL if shared else FAIL
        verdict = f"{_plural(len(per_call_ev), 'client')} created on every tool call"
        if per_call:
            verdict += f" (MCP404 x{len(per_call)})"
        if shared:
            verdict += f"; {len(shared)} shared elsewhere"
        verdict, confidence = _with_disabled(p, verdict, HIGH, "MCP404")
        return _result(i, status, verdict, confidence, per_call_ev + shared[:2])
    if helpers:
        verdict = (f"{_plural(len(helpers), 'client')} created in helper functions (per call unless the helper is "
                   f"called once)" + (f"; {len(shared)} shared" if shared else ""))
        return _result(i, PARTIAL, verdict, LOW, helpers[:4] + shared[:2])
    verdict, confidence = _with_disabled(p, f"{_plural(len(shared), 'client')} created once (lifespan, module or "
                                            f"set-up) and shared; none per call (MCP404)", MEDIUM, "MCP404")
    return _result(i, PASS, verdict, confidence, shared[:5])


def _io(p: Project) -> list[Evidence]:
    return [Evidence(path, line, what) for path, (what, line) in p.each("io")]


def judge_caching(p: Project) -> ItemResult:
    i = "caching"
    if not p.source:
        return _manual(i, "no Python code found under PATH")
    io = _io(p)
    if not io:
        clients = [Evidence(path, line, ctor) for path, (ctor, _w, _c, line) in p.each("clients")]
        libraries = p.imports(K.IO_ROOTS - K.EMBEDDED_DB_ROOTS)
        if clients or libraries:
            return _manual(i, "clients of outbound services are created or imported, but their calls are on objects "
                              "the analysis cannot type", (clients or libraries)[:3])
        return _na(i, "no outbound read recognised (HTTP, database, cloud API)")
    cached = [(path, c) for path, c in p.each("cached")]
    on_io = [Evidence(path, line, f"@{qual.rsplit('.', 1)[-1]} on `{name}` ({what})")
             for path, (name, qual, line, what) in cached if what]
    other = [Evidence(path, line, f"@{qual.rsplit('.', 1)[-1]} on `{name}`") for path, (name, qual, line, what) in cached
             if not what]
    library = [e for e in p.evidence("cache", 6) if not e.note.rsplit(".", 1)[-1] in ("cache", "lru_cache")]
    declared = p.declared(K.CACHE_DISTRIBUTIONS)
    if on_io or library:
        what = (f"{_plural(len(on_io), 'outbound call')} cached" if on_io else "a cache library in use")
        return _result(i, PASS, f"{what}; {_plural(len(io), 'function')} make outbound calls", LOW, on_io[:3] + library[:3])
    if other or declared:
        why = "caches only on functions that make no outbound call" if other else "a cache library declared, never used"
        return _result(i, PARTIAL, f"{why}; {_plural(len(io), 'function')} make outbound calls uncached", LOW,
                       other[:3] + declared[:2] + io[:2])
    return _result(i, FAIL, f"no cache: {_plural(len(io), 'function')} make outbound calls (HTTP, database, APIs) "
                            "on every request", LOW, io[:5])


def judge_db(p: Project) -> ItemResult:
    i = "optimized-queries"
    if not p.source:
        return _manual(i, "no Python code found under PATH")
    queries = list(p.each("queries"))
    if not queries and not _db_use(p):
        return _na(i, "no database driver or query found")
    looped = [(path, q) for path, q in queries if q[1]]
    in_tools = [Evidence(path, line, f".{method}() inside a loop in a tool") for path, (method, _l, h, line) in looped if h]
    elsewhere = [Evidence(path, line, f".{method}() inside a loop") for path, (method, _l, h, line) in looped if not h]
    if in_tools:
        return _result(i, FAIL, f"N+1 queries: {_plural(len(in_tools), 'query', 'queries')} sent once per loop "
                                "iteration in tool handlers", MEDIUM, in_tools + elsewhere)
    if elsewhere:
        return _result(i, PARTIAL, f"{_plural(len(elsewhere), 'query', 'queries')} sent once per loop iteration "
                                   "(N+1) in helper code", MEDIUM, elsewhere)
    return _result(i, PASS, f"no query inside a loop over {_plural(len(queries), 'query', 'queries')}", LOW,
                   [Evidence(path, line, f".{m}()") for path, (m, _l, _h, line) in queries[:3]])


def judge_concurrency(p: Project) -> ItemResult:
    i = "concurrent-operations"
    if not p.source:
        return _manual(i, "no Python code found under PATH")
    if p.async_functions == 0:
        return _na(i, "the server's code has no async functions")
    sequential = p.rule("MCP402")
    used = p.evidence("concurrency", 4)
    if sequential:
        status = PARTIAL if used else FAIL
        verdict = f"{_plural(len(sequential), 'await')} run one after another in loops (MCP402)"
        if used:
            verdict += f"; gather/task groups used elsewhere ({len(used)})"
        verdict, confidence = _with_disabled(p, verdict, HIGH, "MCP402")
        return _result(i, status, verdict, confidence, p.cite(sequential) + used[:2])
    verdict = "no sequential awaits in loops (MCP402)"
    if used:
        verdict += f"; concurrency helpers in use ({used[0].note})"
    verdict, confidence = _with_disabled(p, verdict, MEDIUM if not used else HIGH, "MCP402")
    return _result(i, PASS, verdict, confidence, used)


def judge_benchmarks(p: Project) -> ItemResult:
    i = "profile-and-benchmark"
    code = [Evidence(h.path, h.line, h.note) for h in p.repo.benchmarks if h.note != "benchmark tool declared"]
    declared = [Evidence(h.path, h.line, h.note) for h in p.repo.benchmarks if h.note == "benchmark tool declared"]
    fixtures = [Evidence(path, f.get("first_test"), "pytest-benchmark fixture") for path, f in p.tests.items()
                if f.get("benchmark")]
    if code or fixtures:
        return _result(i, PASS, f"benchmark code in the repository ({(code + fixtures)[0].path})", MEDIUM,
                       (fixtures + code)[:5])
    if declared:
        return _result(i, PARTIAL, "a benchmark tool is declared but no benchmark code was found", LOW, declared)
    return _result(i, FAIL, "no benchmark or profiling harness in the repository", LOW)


# -- Operations -----------------------------------------------------------------------------------

def judge_logging(p: Project) -> ItemResult:
    i = "structured-logging"
    if not p.source:
        return _manual(i, "no Python code found under PATH")
    stdout = p.rule("MCP501")
    structured = p.evidence("log-structured")
    configured = p.evidence("log-config")
    used = p.imports(K.LOG_ROOTS, parts=K.LOG_MODULE_PARTS)
    if stdout:
        status = PARTIAL if structured else FAIL
        verdict = f"{_plural(len(stdout), 'write')} to stdout in a stdio server (MCP501)"
        verdict += "; structured logging configured" if structured else ""
        verdict, confidence = _with_disabled(p, verdict, HIGH, "MCP501")
        return _result(i, status, verdict, confidence, p.cite(stdout) + structured[:2])
    if structured:
        verdict, confidence = _with_disabled(p, f"structured logging configured ({structured[0].note}); nothing "
                                                "written to stdout (MCP501)", MEDIUM, "MCP501")
        return _result(i, PASS, verdict, confidence, structured[:3])
    if configured or used:
        what = f"logging configured ({configured[0].note})" if configured else "the logging module used"
        return _result(i, PARTIAL, f"{what}, but as plain text (no JSON formatter, structlog, loguru serialize)",
                       MEDIUM, (configured or used)[:3])
    return _result(i, FAIL, "no logging: neither logging, structlog, loguru nor logfire is used", MEDIUM)


def judge_metrics(p: Project) -> ItemResult:
    i = "metrics"
    if not p.source:
        return _manual(i, "no Python code found under PATH")
    calls = p.evidence("metrics")
    imported = p.imports(K.METRICS_ROOTS, K.METRICS_PREFIXES)
    declared = p.declared(K.METRICS_DISTRIBUTIONS)
    if calls:
        return _result(i, PASS, f"metrics recorded ({calls[0].note})", HIGH, calls[:4])
    if imported:
        return _result(i, PARTIAL, "a metrics library is imported but nothing is recorded with it", MEDIUM, imported[:3])
    if declared:
        return _result(i, PARTIAL, "a metrics library is declared as a dependency but never imported", MEDIUM,
                       declared[:3])
    return _result(i, FAIL, "no metrics library (prometheus_client, OpenTelemetry metrics, statsd, datadog, logfire)",
                   MEDIUM)


def judge_health(p: Project) -> ItemResult:
    i = "health-checks"
    if not p.servers:
        return _manual(i, _NO_SERVER)
    http, runtime = p.http, p.runtime_transport
    if not http and not runtime:
        if p.stdio_only:
            return _na(i, "stdio only: the client owns the process; there is no endpoint to probe")
        return _manual(i, "no transport found: how the server is served is decided outside this code")
    routes = p.evidence("health-route")
    probes = [Evidence(h.path, h.line, h.note) for h in p.repo.healthchecks]
    if routes:
        return _result(i, PASS, f"health route: {routes[0].note}", HIGH, routes[:3] + probes[:2])
    if probes:
        return _result(i, PARTIAL, "no health route in the code; the deployment probes the container", MEDIUM, probes[:3])
    if not http:
        return _result(i, PARTIAL, "no health route; the transport is chosen at run time and may be HTTP", LOW,
                       [Evidence(t.path, t.line, t.via) for t in runtime[:2]])
    return _result(i, FAIL, "HTTP server without a health route (`@mcp.custom_route(\"/health\")`, a Starlette route)",
                   HIGH, [Evidence(t.path, t.line, t.via) for t in http[:3]])


def judge_shutdown(p: Project) -> ItemResult:
    i = "graceful-shutdown"
    if not p.source:
        return _manual(i, "no Python code found under PATH")
    clients = list(p.each("clients"))
    long_lived = [Evidence(path, line, f"{ctor} ({where})") for path, (ctor, where, closed, line) in clients
                  if where in _SHARED and not closed and not ctor.startswith(K.NO_CLOSE_NEEDED)]
    # a lifespan counts when it opens or closes something the audit tracks
    lifespans = [(path, ls) for path, ls in p.each("lifespans")
                 if ls["closes"] or any(c[1] == "lifespan" for p2, c in clients if p2 == path)]
    signals = p.evidence("signal", 3)
    if not long_lived and not lifespans:
        return _na(i, "no long-lived client, connection or pool is opened (other resources, such as "
                      "subprocesses, are not tracked)")
    protected = [Evidence(path, ls["line"], f"lifespan `{ls['name']}` cleans up in finally/async with")
                 for path, ls in lifespans if ls["protected"]]
    closing = [Evidence(path, ls["line"], f"lifespan `{ls['name']}` closes after yield, not in finally")
               for path, ls in lifespans if not ls["protected"] and ls["closes"]]
    leaky = [Evidence(path, ls["line"], f"lifespan `{ls['name']}` never closes what it opens")
             for path, ls in lifespans if not ls["protected"] and not ls["closes"]
             and any(c[1] == "lifespan" for p2, c in clients if p2 == path)]
    unmanaged = [e for e in long_lived if "(lifespan)" not in e.note]
    if leaky or (unmanaged and not protected and not closing and not signals):
        what = "a lifespan never closes what it opens" if leaky else \
            f"{_plural(len(unmanaged), 'long-lived client')} with no lifespan, signal handler or atexit to close them"
        return _result(i, FAIL, what, MEDIUM, leaky + unmanaged[:4])
    if closing or (unmanaged and not protected):
        what = "cleanup runs only on a clean exit (after yield, not in finally)" if closing else \
            f"{_plural(len(unmanaged), 'long-lived client')} closed only through a signal handler or atexit"
        return _result(i, PARTIAL, what, MEDIUM, closing + unmanaged[:3] + signals[:2])
    verdict = f"{_plural(len(protected), 'lifespan')} close what they open (finally / async with)"
    if unmanaged:
        verdict += f"; {_plural(len(unmanaged), 'other long-lived client')} at module level"
    return _result(i, PASS, verdict, MEDIUM, protected[:3] + signals[:2])


def judge_deployment(p: Project) -> ItemResult:
    i = "documented-deployment"
    repo = p.repo
    artefacts = [Evidence(h.path, h.line, h.note) for h in repo.deploy]
    sections = deploy_headings(repo)
    server_sections = deploy_headings(repo, server_only=True)
    config = [Evidence(h.path, h.line, f"client configuration ({h.note})") for h in repo.client_config]
    headings = [Evidence(h.path, h.line, f"README section \"{h.note}\"") for h in sections]
    stdio = p.stdio_only or (not p.http and not p.runtime_transport)
    if stdio:
        if config and (sections or artefacts):
            return _result(i, PASS, "installation and MCP client configuration documented in the README", MEDIUM,
                           headings[:2] + config[:2] + artefacts[:2])
        if sections or config or artefacts:
            what = "README explains installation but shows no MCP client configuration" if sections else (
                "deployment files but no README section" if artefacts else "client configuration without installation")
            return _result(i, PARTIAL, what, MEDIUM, headings[:2] + config[:2] + artefacts[:2])
        return _result(i, FAIL, "no README installation section, client configuration or deployment file", MEDIUM)
    if artefacts and (server_sections or sections):
        return _result(i, PASS, f"deployment files ({artefacts[0].note}) and a README section on running them", MEDIUM,
                       artefacts[:3] + headings[:2])
    if artefacts or server_sections:
        what = "deployment files without README instructions" if artefacts else \
            "a README deployment section but no deployment files (Dockerfile, compose, Kubernetes)"
        return _result(i, PARTIAL, what, MEDIUM, artefacts[:3] + headings[:2])
    if sections:
        return _result(i, PARTIAL, "README explains how to run the server, but there is no deployment file", LOW,
                       headings[:2])
    return _result(i, FAIL, "HTTP server with no Dockerfile, compose file, Kubernetes manifest or README "
                            "deployment section", MEDIUM, [Evidence(t.path, t.line, t.via) for t in p.http[:2]])


# -- Maintenance ----------------------------------------------------------------------------------

def judge_version(p: Project) -> ItemResult:
    i = "versioned-api"
    repo = p.repo
    package = []
    if repo.package_version is not None:
        package.append(Evidence(repo.package_version.path, repo.package_version.line, repo.package_version.note))
    package += p.evidence("setup-version", 2)
    package += [Evidence(path, None, "__version__") for path, f in p.source.items() if f.get("module_version")][:2]
    defined = [s for s in p.servers if s.defined]
    settable = [s for s in defined if s.flavour != "mcp1"]
    versioned = [Evidence(s.path, s.line, f"{s.binding}: version=") for s in settable if s.version]
    versioned += p.evidence("server-version", 2)
    missing = [Evidence(s.path, s.line, f"`{s.binding}` created without version=") for s in settable if not s.version]
    changelog = [Evidence(repo.changelog.path, None, "changelog")] if repo.changelog else []
    server_ok = (not settable) or (bool(versioned) and not missing)
    if not defined:
        server_part = "no server defined here"
    elif not settable:
        server_part = "server version not settable (mcp 1.x FastMCP reports the SDK's)"
    else:
        server_part = f"{len(versioned)}/{len(settable)} servers give version="
    verdict = f"package version: {'yes' if package else 'no'}; {server_part}"
    if changelog:
        verdict += "; changelog kept"
    if package and server_ok:
        status = PASS
    elif package or versioned:
        status = PARTIAL
    else:
        status = FAIL
    return _result(i, status, verdict, HIGH, package[:2] + versioned[:2] + missing[:2] + changelog)


def judge_docs(p: Project) -> ItemResult:
    i = "documentation"
    repo = p.repo
    texts = ([(repo.readme.path, repo.readme_text)] if repo.readme else []) + list(repo.doc_texts.items())
    undocumented = p.rule("MCP202")
    tools = p.tools
    if not texts and not tools:
        if not p.has_mcp:
            return _manual(i, _NO_SERVER)
    listed, unlisted, evidence = [], [], []
    for tool in tools:
        hit = next(((path, line) for path, text in texts if (line := mentions(text, tool.name))), None)
        if hit:
            listed.append(tool)
            if len(evidence) < 2:
                evidence.append(Evidence(hit[0], hit[1], f"documents `{tool.name}`"))
        else:
            unlisted.append(tool)
    described = sum(1 for t in tools if t.doc)
    parts = [f"README: {'yes' if repo.readme else 'no'}"]
    if tools:
        parts.append(f"{len(listed)}/{len(tools)} tools named in the README or docs")
        parts.append(f"{described}/{len(tools)} with a description")
    if undocumented:
        parts.append(f"MCP202 x{len(undocumented)}")
    verdict = "; ".join(parts)
    if unlisted:
        verdict += f"; not in the docs: {_names(unlisted, 4)}"
    evidence = ([Evidence(repo.readme.path, None, "README")] if repo.readme else []) + evidence + p.cite(undocumented, 4)
    share = len(listed) / len(tools) if tools else 1.0
    if repo.readme and share >= 0.8 and not undocumented:
        status = PASS
    elif repo.readme or texts or (tools and not undocumented):
        status = PARTIAL
    else:
        status = FAIL
    verdict, confidence = _with_disabled(p, verdict, MEDIUM, "MCP202")
    return _result(i, status, verdict, confidence, evidence)


def judge_examples(p: Project) -> ItemResult:
    i = "examples"
    repo = p.repo
    files = sorted(set(repo.examples))
    blocks = repo.readme_code_blocks
    if files:
        return _result(i, PASS, f"{_plural(len(files), 'example file')} ({files[0]})", MEDIUM,
                       [Evidence(f) for f in files[:4]])
    if blocks:
        return _result(i, PARTIAL, f"no examples folder; {_plural(len(blocks), 'code block')} in the README", MEDIUM,
                       [Evidence(h.path, h.line, f"```{h.note}") for h in blocks[:3]])
    return _result(i, FAIL, "no examples: no examples/ folder, notebook or README code block", MEDIUM)


def judge_ci(p: Project) -> ItemResult:
    i = "ci-cd"
    repo = p.repo
    if not repo.ci_files:
        return _result(i, FAIL, "no CI configuration (.github/workflows, .gitlab-ci.yml, ...)", HIGH)
    tests = [Evidence(h.path, h.line, f"runs {h.note}") for h in repo.ci_tests]
    if tests:
        return _result(i, PASS, f"CI runs the tests ({tests[0].path}: {tests[0].note})", HIGH, tests[:3])
    return _result(i, PARTIAL, f"{_plural(len(repo.ci_files), 'CI file')}, none runs the tests", HIGH,
                   [Evidence(f) for f in repo.ci_files[:3]])


def judge_monitoring(p: Project) -> ItemResult:
    i = "monitoring"
    if not p.source:
        return _manual(i, "no Python code found under PATH")
    init = p.evidence("tracking-init")
    launchers = [Evidence(h.path, h.line, f"started with {h.note}") for h in p.repo.launchers]
    used = p.evidence("tracking") + p.imports(K.TRACKING_ROOTS, K.TRACKING_PREFIXES)
    declared = p.declared(K.TRACKING_DISTRIBUTIONS)
    if init or launchers:
        what = (init or launchers)[0].note
        return _result(i, PASS, f"error tracking or tracing switched on ({what})", HIGH if init else MEDIUM,
                       (init + launchers)[:4])
    if used:
        return _result(i, PARTIAL, "a tracing or error-tracking library is used but never initialised", MEDIUM, used[:3])
    if declared:
        return _result(i, PARTIAL, "a tracing or error-tracking library is declared but never imported", MEDIUM,
                       declared[:3])
    return _result(i, FAIL, "no error tracking or tracing (Sentry, OpenTelemetry, logfire, Datadog, New Relic)", MEDIUM)


# -- the catalogue --------------------------------------------------------------------------------

_FINDINGS_ONLY = ("Rules that are disabled by the configuration give no findings: the verdict then says so and the "
                  "confidence drops to low. Suppressed findings (noqa, per-file-ignores) do not count.")

ITEMS: tuple[Item, ...] = (
    Item("type-driven-design", "Development", "Type-driven design",
         "Tool parameters carry types that the SDK turns into a schema and enforces.",
         "no untyped parameter (MCP201) or unvalidated low-level arguments (MCP205), and at least half of the "
         "parameters constrained: `Literal`, an enum, `Annotated[..., Field(...)]`, a pydantic model, or a scalar "
         "(int, float, bool, datetime, UUID)",
         "every parameter typed but mostly plain `str`/containers, or at most 20% untyped",
         "more than 20% of the parameters untyped (no annotation, `Any`, bare `dict`/`list`)",
         "the tools take no parameters",
         "no tool found, tools registered only from functions defined elsewhere, or input schemas built at run time",
         "high (the server model classifies every parameter); medium for low-level tools (read from their JSON "
         "Schemas) or when some tools are registered from values the analysis cannot resolve",
         "Only tool parameters count (resources and prompts do not). A low-level server's hand-written JSON Schema "
         "is read property by property (`enum`, `pattern`, `maxLength`, `minimum`, numeric types) when the SDK "
         "validates against it; its arguments are untyped when it does not (mcp 2.x, `validate_input=False`). "
         + _FINDINGS_ONLY, judge_types),
    Item("error-handling", "Development", "Proper error handling",
         "Tools fail with coded errors the client can tell from success, without leaking internals.",
         "no MCP301-MCP305 finding (generic raises, swallowed exceptions, leaked details, retries without "
         "backoff, errors returned as success)",
         "findings, but coded errors (`ToolError`, `McpError`/`MCPError`, `CallToolResult(isError=True)`, project "
         "exceptions carrying a code) are used too; or no finding, but helpers raise generic exceptions "
         "(`ValueError`, `RuntimeError`...) and nothing is coded",
         "findings and no coded error anywhere", "never", "no server found",
         "high when there are findings; medium for a pass without any coded error",
         "Raises are counted in the whole server code (tools and helpers). " + _FINDINGS_ONLY, judge_errors),
    Item("tests", "Development", "Comprehensive tests",
         "A test suite imports the server and exercises its tools.",
         "test files that import (or launch) the server's code reference at least 80% of the tools: by name in a "
         "`call_tool(...)`/in-memory client test (`Client(mcp)`, `create_connected_server_and_client_session`), or "
         "by calling the tool function",
         "tests import the server but exercise fewer than 80% of the tools (the verdict names the untested ones)",
         "no test functions, or tests that never import or launch the server's code",
         "never", "no Python code found",
         "medium: a tool counts as exercised when its name or function is referenced, not when its behaviour is "
         "asserted",
         "Coverage is by reference, not by line: a test that calls a tool once counts it. Tests that reach tools "
         "only through fixtures in another file are credited when that file references them.", judge_tests),
    Item("async-usage", "Development", "Async used properly",
         "Async code does not block the event loop, wait needlessly, or hang.",
         "no blocking call in async code (MCP403), no sequential awaits in loops (MCP402), no call without a "
         "timeout (MCP401)",
         "only MCP402 or MCP401 findings", "a blocking call in an async function (MCP403)",
         "the server's code has no async function", "no Python code found",
         "high", _FINDINGS_ONLY, judge_async),
    Item("idiomatic-code", "Development", "Idiomatic code",
         "The code follows the SDK's API and the project enforces an idiom with tools.",
         "a linter/formatter (ruff, black, flake8, pylint) and a type checker (mypy, pyright) configured, and no "
         "SDK misuse (MCP203 positional `add_tool`, MCP204 uncalled decorators) or unparsable file (MCP001)",
         "a linter or a type checker configured, not both", "SDK misuse or unparsable code",
         "never", "neither a linter nor a type checker configured and no misuse found: idiom is for a reviewer",
         "low: configured tools say the project cares, not that the code is idiomatic",
         "Reads pyproject.toml, setup.cfg, tox.ini, ruff.toml, mypy.ini, .pre-commit-config.yaml.", judge_idioms),
    Item("validate-inputs", "Security", "Validate all inputs",
         "Tool input is validated by its schema and never reaches a dangerous sink unchecked.",
         "no injection finding (MCP101-MCP105, MCP108, MCP112) and no untyped or unvalidated input (MCP201, MCP205)",
         "only MCP201/MCP205 findings", "an injection finding", "never", "no tool found",
         "high", "Sinks and sanitizers are those of the rules; flows through other modules' helpers are followed "
                 "as far as the rules follow them. " + _FINDINGS_ONLY, judge_inputs),
    Item("parameterized-queries", "Security", "Parameterized queries",
         "SQL is parameterised, never built by string formatting.",
         "a database is used and no MCP101 finding", "never", "an MCP101 finding",
         "no database driver imported and no query found", "no Python code found",
         "high for a fail; medium for a pass (queries on receivers of unknown type are recognised by SQL keywords)",
         _FINDINGS_ONLY, judge_queries),
    Item("authentication", "Security", "Authentication",
         "A server reachable over HTTP authenticates its callers.",
         "every HTTP transport belongs to a server with an auth provider or token verifier (`auth=`, "
         "`token_verifier=`, `auth_server_provider=`), or the app has ASGI authentication middleware "
         "(Starlette's AuthenticationMiddleware, the SDK's RequireAuthMiddleware)",
         "no authentication on a server bound to loopback, or whose transport is chosen at run time",
         "an HTTP transport without authentication (MCP110, or no auth on a non-loopback host)",
         "stdio only: the launching process is the trust boundary",
         "no server found, or no transport (the server is served by code outside PATH)",
         "high (medium with ASGI middleware, which is recognised by name)",
         "Auth configured through the environment (fastmcp 2's FASTMCP_SERVER_AUTH) or a reverse proxy is not "
         "seen. DebugTokenVerifier and StaticTokenVerifier do not count as auth; neither do FastAPI security "
         "dependencies (APIKeyHeader, HTTPBearer), which guard FastAPI routes, not a mounted MCP app.",
         judge_authentication),
    Item("authorization", "Security", "Authorization checks",
         "On a server with more than one user (HTTP), tools that change state check who is calling.",
         "the server authenticates its callers and every state-changing tool reads the caller's identity or "
         "scopes: `get_access_token()`, a token's `.scopes`/`.claims`/`.client_id`, `ctx.request_context.request` "
         "(user, headers), an `AccessToken`/`CurrentAccessToken()` parameter, `auth=` on its registration "
         "(fastmcp 3+), or a call named like an authorisation check",
         "some state-changing tools check the caller, or only one server-wide scope (`required_scopes`) covers all",
         "state-changing tools on an HTTP server check nobody, or the server has no authentication",
         "stdio only (one user), or no tool changes state",
         "no server or no transport found",
         "medium when tools are known to change state by the calls they make (commands, file writes, INSERT/UPDATE/"
         "DELETE, HTTP POST/PUT/PATCH/DELETE, SQL written by the model); low when only by their names",
         "A tool changes state when its name has a verb like delete/write/create/update/exec/run/send (`add` only "
         "with an object: `add_user`) or its body makes such a call; calls in helpers are not followed. Checks in "
         "middleware or in helpers with other names are not seen. `ctx.client_id` (what the client says it is) "
         "is not an identity.", judge_authorization),
    Item("audit-dependencies", "Security", "Audit dependencies",
         "Dependencies are pinned, kept up to date and checked for known vulnerabilities.",
         "a lock file (uv.lock, poetry.lock, pdm.lock, Pipfile.lock, pylock.toml, requirements with `--hash` or "
         "compiled by pip-compile/uv), an update bot (Dependabot, Renovate) or an audit step (pip-audit, safety, "
         "osv-scanner, Snyk, Trivy) in CI or pre-commit, and no unbounded mcp/fastmcp (MCP601)",
         "some of these", "a manifest but none of lock file, update bot or audit step; or no manifest at all",
         "never", "never", "high", "Looks at the project root only: in a monorepo, CI and bots at the repository "
                                   "root are not seen when PATH is a sub-project.", judge_dependencies),
    Item("connection-pooling", "Performance", "Connection pooling",
         "Network clients and database pools are created once and shared, not per call.",
         "every client/pool constructor (MCP404's list: httpx, requests, aiohttp, asyncpg, psycopg, redis, "
         "pymongo, boto3, ...) runs in a lifespan, at module level, in set-up code or a cached factory, and no "
         "MCP404 finding",
         "MCP404 findings beside shared clients, or clients created in helper functions (per call unless called once)",
         "clients created on every tool call (MCP404) and none shared",
         "no client, connection or pool is created", "database queries without a recognised connection constructor",
         "high with MCP404 findings; medium for a pass; low for clients created in helpers",
         "Whether a helper runs once or per call is not followed.", judge_pooling),
    Item("caching", "Performance", "Caching",
         "Repeated outbound reads go through a cache.",
         "a cache decorator (functools.cache/lru_cache, async_lru, cachetools, aiocache) on a function that makes "
         "an outbound call, or a cache library (cachetools, aiocache, diskcache, requests-cache, hishel) in use",
         "caches only on functions without outbound calls, or a cache library declared but never used",
         "outbound calls and no cache", "no outbound read recognised (HTTP, database, cloud API)",
         "a client library (boto3, an API's SDK) is imported or its clients created, but their calls cannot be "
         "typed; no Python code found",
         "low: whether a read is worth caching (and safe to cache) is a design decision",
         "Redis used as a database is not counted as a cache. Caches written by hand (a dict) are not seen.",
         judge_caching),
    Item("optimized-queries", "Performance", "Optimized database queries",
         "Queries are batched, not sent once per item (N+1).",
         "a database is used and no query method (execute, fetch, query, find, ...) is called inside a loop or "
         "comprehension over non-constant data",
         "queries inside loops in helper code", "queries inside loops in tool handlers",
         "no database driver imported and no query found", "no Python code found",
         "medium for partial/fail; low for a pass (only the N+1 shape is checked, not indexes or plans)",
         "Loops over literal lists or UPPER_CASE constants (schema statements) are not counted. `executemany` "
         "is a batch and fine.", judge_db),
    Item("concurrent-operations", "Performance", "Concurrent operations",
         "Independent I/O runs concurrently.",
         "no sequential awaits in loops (MCP402)",
         "MCP402 findings, with gather/task groups used elsewhere", "MCP402 findings and no concurrency helper",
         "the server's code has no async function", "no Python code found",
         "high with findings; medium for a pass without any concurrency helper in use", _FINDINGS_ONLY,
         judge_concurrency),
    Item("profile-and-benchmark", "Performance", "Profile and benchmark",
         "The project measures its performance.",
         "benchmark code: bench/ or benchmarks/ folders, bench*.py, locustfile.py, asv.conf.json, k6 scripts, or "
         "tests using the pytest-benchmark `benchmark` fixture",
         "a benchmark tool declared (pytest-benchmark, asv, locust, pyperf) without benchmark code",
         "nothing of the kind", "never", "never",
         "medium for a pass; low otherwise: profiling done outside the repository is not seen", "", judge_benchmarks),
    Item("structured-logging", "Operations", "Structured logging",
         "Logs are machine-readable, and a stdio server writes nothing to stdout.",
         "structured logging configured (structlog, loguru `serialize=True`, python-json-logger, a "
         "`logging.Formatter` subclass writing JSON, a JSON `format=`/dictConfig, logfire) and no MCP501 finding",
         "plain-text logging configured or used; or structured logging with MCP501 findings",
         "MCP501 (stdout writes in a stdio server) without structured logging, or no logging at all",
         "never", "no Python code found", "medium",
         "A logging set-up done by a framework outside the code (uvicorn's log config file) is not seen.",
         judge_logging),
    Item("metrics", "Operations", "Metrics",
         "The server records metrics.",
         "a metrics library is called: prometheus_client, OpenTelemetry metrics, statsd, datadog, aioprometheus, "
         "Prometheus middleware, logfire metrics",
         "a metrics library imported but never called, or declared as a dependency but never imported",
         "no metrics library", "never", "no Python code found",
         "high for a pass; medium otherwise", "Metrics exported by a sidecar or the platform are not seen.",
         judge_metrics),
    Item("health-checks", "Operations", "Health checks",
         "An HTTP server exposes an endpoint a load balancer or orchestrator can probe.",
         "a health route in the code: `@mcp.custom_route(\"/health\")`, a Starlette `Route`, a FastAPI/Starlette "
         "route decorator, on a path like /health, /healthz, /ready, /live, /ping",
         "no route, but the deployment probes the container (Dockerfile HEALTHCHECK, compose healthcheck, "
         "Kubernetes probes); or the transport is chosen at run time",
         "an HTTP server without a health route", "stdio only", "no server or no transport found",
         "high", "A `/health` string in a comment, docstring or test is not a route; only route registrations "
                 "count.", judge_health),
    Item("graceful-shutdown", "Operations", "Graceful shutdown",
         "What the server opens is closed when it stops.",
         "lifespans yield inside `try/finally` or `async with`, so what they open is closed on every exit",
         "cleanup only after the `yield` (skipped on errors), or long-lived clients closed only by signal "
         "handlers/atexit",
         "long-lived clients (module level, set-up code) with no lifespan, signal handler or atexit; or a "
         "lifespan that never closes what it opens",
         "no long-lived client, connection or pool is opened", "no Python code found", "medium",
         "Clients are those of MCP404's list; other resources (files, subprocesses, thread pools) are not "
         "tracked.", judge_shutdown),
    Item("documented-deployment", "Operations", "Documented deployment",
         "How to deploy (HTTP) or install and configure (stdio) the server is written down.",
         "HTTP: deployment files (Dockerfile, compose, Kubernetes, Helm, fly.toml, smithery.yaml, ...) and a README "
         "section on running them; stdio: a README installation/usage section and an MCP client configuration "
         "(`mcpServers`, `uvx ...`, `claude mcp add`)",
         "one of the two", "neither", "never", "never", "medium",
         "README headings are matched by words (deploy, docker, install, usage, configuration...).",
         judge_deployment),
    Item("versioned-api", "Maintenance", "Versioned API",
         "The package has a version and the server reports one to clients.",
         "package metadata has a version (pyproject, setup.cfg, setup.py, `__version__`) and every server that "
         "can take one is given `version=` (mcp 2.x MCPServer, fastmcp, low-level Server, InitializationOptions)",
         "one of the two", "neither", "never", "never", "high",
         "mcp 1.x FastMCP cannot be given a version: only the package version is required there.", judge_version),
    Item("documentation", "Maintenance", "Documentation",
         "The README documents the tools, and every tool describes itself.",
         "a README naming at least 80% of the tools (README or docs/), and every tool has a docstring or "
         "`description=` (no MCP202)",
         "a README or docs that miss tools, or tool descriptions without a README",
         "no README or docs and tools without descriptions", "never", "no server found and no README",
         "medium: a tool counts as documented when its name appears as a word", _FINDINGS_ONLY, judge_docs),
    Item("examples", "Maintenance", "Examples",
         "Users get runnable examples.",
         "an examples/ (samples/, demo/) folder, a notebook or example configuration files",
         "no examples folder, but code blocks in the README", "neither", "never", "never", "medium", "",
         judge_examples),
    Item("ci-cd", "Maintenance", "CI/CD",
         "Continuous integration runs the tests.",
         "a CI configuration (GitHub Actions, GitLab CI, CircleCI, Azure Pipelines, Jenkins, Travis, Bitbucket, "
         "Buildkite, Drone, Woodpecker) with a test step (pytest, tox, nox, unittest, make test, hatch test, ...)",
         "CI configuration without a test step", "no CI configuration", "never", "never", "high",
         "CI at a monorepo's root is not seen when PATH is a sub-project; a test step hidden in a script the CI "
         "calls is not seen.", judge_ci),
    Item("monitoring", "Maintenance", "Monitoring in production",
         "Errors and traces reach a monitoring service.",
         "error tracking or tracing switched on: `sentry_sdk.init`, an OpenTelemetry tracer provider or "
         "instrumentor, `logfire.configure`, ddtrace, New Relic, Elastic APM, Rollbar, Bugsnag; or the process "
         "started with opentelemetry-instrument/ddtrace-run",
         "such a library used but never initialised, or declared but never imported", "none", "never",
         "no Python code found", "high when initialised in code; medium otherwise",
         "Monitoring done by the platform (log-based alerts, an APM agent injected by the orchestrator) is not "
         "seen.", judge_monitoring),
)
BY_ID = {item.id: item for item in ITEMS}


def find_item(name: str) -> Item | None:
    """An item by id, by a unique prefix of its id, or by its title (case-insensitive)."""
    key = name.strip().lower().replace(" ", "-").replace("_", "-")
    if key in BY_ID:
        return BY_ID[key]
    for item in ITEMS:
        if item.title.lower().replace(" ", "-") == key:
            return item
    matches = [item for item in ITEMS if item.id.startswith(key)]
    return matches[0] if len(matches) == 1 else None


def judge_all(project: Project) -> list[ItemResult]:
    out = []
    for item in ITEMS:
        try:
            out.append(item.judge(project))
        except Exception as exc:  # noqa: BLE001 - one broken judge must not stop the scorecard
            out.append(ItemResult(item.id, item.area, item.title, MANUAL,
                                  f"internal error while judging: {type(exc).__name__}: {exc}", LOW,
                                  reason="internal error"))
    return out


def explain(item: Item) -> str:
    """The Markdown an item's `--explain` prints (and docs/audit.md shows)."""
    lines = [f"### {item.title} (`{item.id}`)", "", f"Area: {item.area}. {item.asks}", "",
             f"- **pass**: {item.passes}", f"- **partial**: {item.partial}", f"- **fail**: {item.fails}"]
    if item.not_applicable != "never":
        lines.append(f"- **not-applicable**: {item.not_applicable}")
    if item.manual != "never":
        lines.append(f"- **manual**: {item.manual}")
    lines += ["", f"Confidence: {item.confidence}."]
    if item.limits:
        lines += ["", f"Limits: {item.limits}"]
    return "\n".join(lines) + "\n"
