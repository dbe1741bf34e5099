"""`tainted-call`: tool input reaching an argument of a sink call, unless a sanitizer the
rule accepts was applied on the way. The finding carries the flow as its trace; a flow
through a same-file helper is credited to the calling tool and reported at the sink.

A sink names the calls (`call`, where `.name` means that method on any receiver), and the
value that matters: an argument (`argument` position and/or `keyword`), or the method's
`receiver`. It may apply only when another argument has one of some values (`if-argument`,
e.g. `shell=True`) or not when it has (`unless-argument`, e.g. `Loader=yaml.SafeLoader`).
Two kinds of value are looked into rather than judged whole:
- `argv: list | positional | arguments`: the value is a command's argv (a list argument,
  every positional argument, or every positional argument after a program that the callee
  itself names, as GitPython's `repo.git.checkout(ref)`). The rule's `argv-checks` say which items count: `program`
  (argv[0]), `shell-script` (the script after `-c` / `-Command` of a listed shell) and
  `options` (any later item that can start with `-`: not after a `--` separator, not
  starting with constant text; a sanitizer the rule accepts, such as a `startswith("-")`
  rejection, clears it).
- `url: true`: only the values that can decide the URL's scheme or host count.
A sink may name sanitizer kinds of the rule that do not clear it (`ignore-sanitizers`: a file
name with fixed text around the input cannot leave its directory, unless the call creates
directories), and a lower confidence for a value that is a path the tool takes as a whole
(`whole-path-confidence`: not joined under a directory of the server, in a file that checks
no path against a base directory; the tool's contract is then "any path").
Each sink has a `role` (what the value is, for the message). With `describe-restrictions`
the message also says whether the flow meets an allow-list check, a timeout or a working
directory, and such a finding has medium confidence. `report-origins` can widen the rule
to values that are not tool input but not known-safe either (reported with medium
confidence and no trace). A sink's `fix:` (as in `call-check`, see `call_fixes.py`) fixes the
call, e.g. `yaml.load` -> `yaml.safe_load`.
"""

from __future__ import annotations

import os

import libcst as cst

from mcp_lint.analysis.cst_utils import code, iter_names, keyword, string_value, target_names, terminates
from mcp_lint.analysis.fields import descendants
from mcp_lint.analysis.state import NARROW, Point
from mcp_lint.analysis.taint import OPAQUE_ORIGIN, PARAM_ORIGIN, TOOL, Origin, unsafe_origins
from mcp_lint.check.context import FileContext
from mcp_lint.model.findings import Confidence
from mcp_lint.model.schema import Any_, Bool, Int, Key, List, Map, OneOf, Str
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.check.primitives.call_fixes import CALL_FIX, call_fix
from mcp_lint.check.primitives.common import (PATTERNS, SANITIZER_KINDS, SINK_KINDS, CallPatterns, PatternTable,
                                              shown_call, sink_argument, sinks_or_kinds, trace)
from mcp_lint.check.primitives.pieces import (Item, argv_alternatives, constant_text, positional_alternatives,
                                              program_text, starts_with_text, url_head, whole_path)

def _is_or_present(cond: dict, where) -> None:
    if (cond.get("is") is None) == (not cond.get("present")):
        raise where.error("give exactly one of 'is' (the values it holds) or 'present: true' (passed at all)")


_CONDITION = Map({
    "keyword": Key(Str()),
    "position": Key(Int(minimum=0)),
    "is": Key(List(Any_(), min_items=1, single_ok=True)),
    "present": Key(Bool(), default=False),
}, check=_is_or_present)
TAINT_SINK = Map({
    "call": Key(PATTERNS, required=True),
    "argument": Key(Int(minimum=0)),
    "keyword": Key(Str()),
    "receiver": Key(Bool(), default=False),
    "argv": Key(Str(choices=("list", "positional", "arguments"))),
    "url": Key(Bool(), default=False),
    # a value that starts with constant text (`f"handle_{x}"`) is not reported
    "constant-prefix-safe": Key(Bool(), default=False),
    # only the whole value counts: one the code builds as a dict or list literal is not reported,
    # whatever it holds (an Elasticsearch body whose values come from the tool)
    "whole": Key(Bool(), default=False),
    # only when the call's result is called at once (`getattr(obj, name)(...)`)
    "called": Key(Bool(), default=False),
    "if-argument": Key(_CONDITION),
    # one condition, or several (the sink does not apply when any holds)
    "unless-argument": Key(OneOf(_CONDITION, List(_CONDITION, min_items=1),
                                 description="a condition or a list of conditions")),
    "role": Key(Str(), default="an argument"),
    # sanitizer kinds of the rule that do not clear this sink (`component` for calls that create directories)
    "ignore-sanitizers": Key(List(Str(choices=SANITIZER_KINDS)), default=()),
    # the confidence of a finding where the value is a path that is tool input as a whole (not joined
    # under a directory), in a file that checks no path against a base directory
    "whole-path-confidence": Key(Str(choices=("low", "medium"))),
    "fix": Key(CALL_FIX),  # how to fix such a call (see call_fixes.py)
})
_TIMEOUT_CALLS = frozenset({"asyncio.wait_for", "asyncio.timeout", "anyio.fail_after", "anyio.move_on_after",
                            "asyncio.timeout_at"})


class TaintedCall(Primitive):
    NAME = "tainted-call"
    FIXABLE = True
    PARAMS = Map({
        "sinks": Key(List(TAINT_SINK, min_items=1), default=()),
        "sink-kinds": Key(List(Str(choices=SINK_KINDS), min_items=1), default=()),
        "sanitizers": Key(List(Str(choices=SANITIZER_KINDS)), default=()),
        "argv-checks": Key(List(Str(choices=("program", "shell-script", "options"))), default=()),
        "shells": Key(List(Str()), default=("sh", "bash", "zsh", "dash", "ksh", "fish", "ash", "csh", "tcsh",
                                            "cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh",
                                            "pwsh.exe", "python", "python3")),
        "script-flags": Key(List(Str()), default=("-c", "-lc", "-ic", "-cl", "/c", "/C", "/k", "/K",
                                                  "-Command", "-command", "-EncodedCommand")),
        "report-origins": Key(List(Str(choices=("tool", "param", "opaque")), min_items=1), default=("tool",)),
        "describe-restrictions": Key(Bool(), default=False),
    }, check=sinks_or_kinds)
    PLACEHOLDERS = frozenset({"source", "sink", "argument", "role", "restrictions"})

    def setup(self) -> None:
        specs = list(self.params["sinks"]) + list(self.knowledge.sinks_of(self.params["sink-kinds"]))
        self.sinks = PatternTable([(CallPatterns(s["call"]), s) for s in specs])
        self.accepted = frozenset(self.params["sanitizers"]) | {"all"}
        self.checks = frozenset(self.params["argv-checks"])
        self.shells = frozenset(self.params["shells"])
        self.script_flags = frozenset(self.params["script-flags"])
        kinds = {"tool": TOOL, "param": PARAM_ORIGIN, "opaque": OPAQUE_ORIGIN}
        self.origins = frozenset(kinds[k] for k in self.params["report-origins"])

    def enter(self):
        return {cst.Call: self.on_call}

    def on_call(self, node: cst.Call, ctx: FileContext) -> None:
        point = ctx.point()
        specs = [spec for _, spec in self.sinks.matches(node, ctx, point)]
        if specs and any(s["called"] for s in specs):
            ancestors = ctx.state.ancestors
            parent = ancestors[-2] if len(ancestors) > 1 else None
            called = isinstance(parent, cst.Call) and parent.func is node
            specs = [s for s in specs if called or not s["called"]]
        if specs:
            statement = ctx.state.statement
            # where the sink is (its enclosing nodes): for the restrictions the message describes, and fixes
            ancestors = tuple(ctx.state.ancestors) if self.params["describe-restrictions"] or \
                any(s["fix"] for s in specs) else ()
            ctx.defer(self.rule, lambda: self.check(ctx, node, specs, point, statement, ancestors))

    # -- deciding -----------------------------------------------------------------------------
    def check(self, ctx: FileContext, sink: cst.Call, specs: list[dict], point: Point,
              statement: cst.CSTNode | None, ancestors: tuple[cst.CSTNode, ...] = ()) -> None:
        for spec in specs:
            if not self._applies(ctx, sink, spec):
                continue
            hit = self._hit(ctx, sink, spec, point)
            if hit is not None:
                whole = spec["whole-path-confidence"]
                lowered = Confidence(whole) if whole and hit[0].kind == TOOL and not hit[0].cut and \
                    whole_path(ctx, hit[1], point) and not _confines_paths(ctx) else None
                fix = call_fix(ctx, self.rule, spec["fix"], sink, ancestors) if spec["fix"] else None
                self._report(ctx, sink, statement, ancestors, *hit, lowered=lowered, fix=fix)
                return

    def _hit(self, ctx: FileContext, sink: cst.Call, spec: dict,
             point: Point) -> tuple[Origin, cst.BaseExpression, str] | None:
        if spec["argv"] is not None:
            if spec["argv"] == "arguments":  # `repo.git.checkout(x)`: the program is the callee
                alternatives = [[Item(sink.func, point)] + items for items in positional_alternatives(ctx, sink, point)]
            elif spec["argv"] == "positional":
                alternatives = positional_alternatives(ctx, sink, point)
            else:
                value = sink_argument(sink, spec)
                if value is None:
                    return None
                alternatives = argv_alternatives(ctx, value, point)
            for items in alternatives:
                hit = self._argv_hit(ctx, items, fixed_program=spec["argv"] == "arguments")
                if hit is not None:
                    return hit
            return None
        if spec["receiver"]:
            func = sink.func
            value = func.value if isinstance(func, cst.Attribute) else None
        else:
            value = sink_argument(sink, spec)
        if value is None or isinstance(value, cst.Call) and bool(self.sinks.matches(value, ctx, point)):
            return None  # `eval(compile(src))`: reported once, where the input goes in
        if spec["constant-prefix-safe"] and starts_with_text(ctx, value, point):
            return None
        if spec["whole"] and _built_here(ctx, value, point):
            return None
        parts = url_head(ctx, value, point) if spec["url"] else [(value, point)]
        accepted = self.accepted - frozenset(spec["ignore-sanitizers"]) if spec["ignore-sanitizers"] else None
        for part, at in parts:
            origin = self._origin(ctx, part, at, accepted)
            if origin is not None:
                return origin, value, spec["role"]
        return None

    def _origin(self, ctx: FileContext, expr: cst.BaseExpression, point: Point,
                accepted: frozenset[str] | None = None) -> Origin | None:
        unsafe = unsafe_origins(ctx.flows.resolved(expr, point), accepted or self.accepted)
        found = [o for o in unsafe if o.kind in self.origins]
        if not found:  # a parameter of a function other modules call: their callers decide
            found = [o for o in unsafe if o.kind == PARAM_ORIGIN and ctx.exported(o.function)]
        found.sort(key=lambda o: o.kind != TOOL)
        return found[0] if found else None

    def _argv_hit(self, ctx: FileContext, items: list[Item],
                  fixed_program: bool = False) -> tuple[Origin, cst.BaseExpression, str] | None:
        if not items:
            return None
        if fixed_program:
            return self._option_hit(ctx, items, None) if "options" in self.checks else None
        first = items[0]
        if first.splat:
            origin = self._origin(ctx, first.expr, first.point, frozenset({"all", "program"}))
            if origin is not None:
                return (origin, first.expr, "the command line (program and arguments)") \
                    if "program" in self.checks else None
            if "options" in self.checks:  # `if argv[0] not in ALLOWED: ...`: the arguments remain
                origin = self._origin(ctx, first.expr, first.point)
                if origin is not None:
                    return origin, first.expr, "arguments of an allow-listed program (any of them may be an option)"
            return None
        origin = self._origin(ctx, first.expr, first.point, frozenset({"all"}))
        if origin is not None:
            return (origin, first.expr, "the program to run (argv[0])") if "program" in self.checks else None
        program = program_text(ctx, first.expr, first.point)
        found = self._script_index(ctx, items, program)
        script_at = found[0] if found is not None else None
        if found is not None and "shell-script" in self.checks:
            script = items[found[0]]
            origin = self._origin(ctx, script.expr, script.point)
            if origin is not None:
                return origin, script.expr, f"the script of `{found[1]}`"
        if "options" not in self.checks:
            return None
        return self._option_hit(ctx, items, script_at)

    def _option_hit(self, ctx: FileContext, items: list[Item],
                    script_at: int | None) -> tuple[Origin, cst.BaseExpression, str] | None:
        previous: str | None = None
        for i, item in enumerate(items[1:], 1):
            if script_at is not None and i > script_at:
                return None  # after `sh -c script`: the script's own positional parameters
            text = constant_text(ctx, item.expr, item.point) if not item.splat else None
            if text == "--":
                return None
            takes_value = _takes_value(previous)
            previous = text
            if i == script_at or takes_value:
                continue
            if text is not None or (not item.splat and starts_with_text(ctx, item.expr, item.point)):
                continue
            origin = self._origin(ctx, item.expr, item.point)
            if origin is not None:
                role = "arguments of the command (any of them may be an option)" if item.splat else \
                    f"argv[{i}], where a leading `-` makes it an option"
                return origin, item.expr, role
        return None

    def _script_index(self, ctx: FileContext, items: list[Item], program: str | None) -> tuple[int, str] | None:
        """Where a shell's script is: `["sh", "-c", script]`, also further in
        (`["docker", "exec", name, "bash", "-lc", script]`), with the shell's name."""
        for j, item in enumerate(items[:-1]):
            if item.splat:
                return None
            name = program if j == 0 else constant_text(ctx, item.expr, item.point)
            if name is None or os.path.basename(name) not in self.shells and \
                    os.path.basename(name).lower() not in self.shells:
                continue
            for i in range(j + 1, len(items) - 1):
                flag = None if items[i].splat else constant_text(ctx, items[i].expr, items[i].point)
                if flag is None or not flag.startswith(("-", "/")):
                    break
                if flag in self.script_flags:
                    at = i + 1
                    if at + 1 < len(items) and not items[at].splat and \
                            constant_text(ctx, items[at].expr, items[at].point) == "--":
                        at += 1  # `sh -c -- script`
                    return (at, f"{os.path.basename(name)} {flag}") if not items[at].splat else None
        return None

    def _applies(self, ctx: FileContext, call: cst.Call, spec: dict) -> bool:
        cond = spec["if-argument"]
        if cond is not None and not _argument_is(ctx, call, cond):
            return False
        cond = spec["unless-argument"]
        if cond is None:
            return True
        return not any(_argument_is(ctx, call, c) for c in (cond if isinstance(cond, tuple) else (cond,)))

    # -- reporting -----------------------------------------------------------------------------
    def _report(self, ctx: FileContext, sink: cst.Call, statement: cst.CSTNode | None,
                ancestors: tuple[cst.CSTNode, ...], origin: Origin, value: cst.BaseExpression, role: str,
                lowered: Confidence | None = None, fix=None) -> None:
        name = shown_call(sink)
        fields = {"source": origin.label, "sink": name, "argument": code(value, 40), "role": role,
                  "restrictions": ""}
        confidence = Confidence.LOW if origin.cut else lowered if origin.kind == TOOL else Confidence.MEDIUM
        if self.params["describe-restrictions"]:
            present = _restrictions(ctx, sink, origin, ancestors)
            if present:
                confidence = confidence or Confidence.MEDIUM
                listed = ", ".join(present[:-1]) + " and " + present[-1] if len(present) > 1 else present[0]
                fields["restrictions"] = f"; restricted by {listed} (the input still reaches it)"
            else:
                fields["restrictions"] = "; no allow-list check, timeout or working-directory restriction"
        if origin.kind == PARAM_ORIGIN and PARAM_ORIGIN not in self.origins:
            if not role.startswith(_WHOLE_ARGV):  # a whole argv judged by its items, which callers build
                ctx.conditional_sink(self.rule, sink, fields, origin, statement=statement,
                                     trace=trace(origin, sink, f"`{name}`"))
            return
        steps = trace(origin, sink, f"`{name}`") if origin.kind == TOOL else ()
        ctx.report(self.rule, sink, fields, statement=statement, trace=steps, confidence=confidence,
                   origins=[origin], fix=fix)


# Roles of a value that is a whole argv list or its splatted arguments: when that value is a
# parameter, which item is which is decided where the list is built (the caller's module), which
# a conditional sink cannot see; so no finding is made across modules for it.
_WHOLE_ARGV = ("the command line (program and arguments)", "arguments of")


_CONTAINERS = (cst.Dict, cst.List, cst.Tuple, cst.Set, cst.DictComp, cst.ListComp, cst.SetComp)


def _built_here(ctx: FileContext, value: cst.BaseExpression, point: Point) -> bool:
    """Is the value a dict or list the code writes out (itself, or every definition of the name
    that reaches the sink)?"""
    if isinstance(value, _CONTAINERS):
        return True
    if isinstance(value, cst.Name):
        bindings = ctx.flows.reaching(value.value, point)
        values = [b.node for b in bindings if b.kind in ("assign", "mutate")]
        return bool(bindings) and len(values) == len(bindings) and all(
            isinstance(v, _CONTAINERS) or isinstance(v, cst.Call) for v in values) and any(
            isinstance(v, _CONTAINERS) for v in values)
    return False


def _confines_paths(ctx: FileContext) -> bool:
    """Does any function of the file check a path against a base directory (a containment
    check: sanitizer kind "path")? Then the server has a boundary in mind for its paths."""
    known = ctx.scratch.get("tainted-call:confines")
    if known is None:
        known = ctx.scratch["tainted-call:confines"] = any(
            b.kind == NARROW and b.sanitizer == "path"
            for frame in ctx.flows.frames.values() for bindings in frame.bindings.values() for b in bindings)
    return known


def _takes_value(option: str | None) -> bool:
    """Is the item after this one most likely its value? `--glob X`, `-C X`, `-o X` (a long
    option or a single-letter one); bundled short flags such as `-la` take none, and neither
    do the switches that mean the same to every program that has them (`--ignore-case`,
    `--json`, `--verbose`, `--no-merges`): the item after one of those is checked."""
    if option is None or not option.startswith("-") or option == "-" or "=" in option:
        return False
    if option.startswith("--"):
        name = option[2:]
        return name not in _SWITCHES
    return len(option) == 2


# Long options that are switches (take no value) in every common command-line program that has
# them; options whose value is optional (`--color[=WHEN]`) take it only after `=`.
_SWITCHES = frozenset({
    "help", "version", "verbose", "quiet", "silent", "json", "raw", "all", "force", "recursive", "dry-run", "yes",
    "assume-yes", "interactive", "ignore-case", "case-sensitive", "smart-case", "fixed-strings", "word-regexp",
    "line-regexp", "invert-match", "count", "files-with-matches", "files-without-match", "line-number",
    "with-filename", "hidden", "follow", "null", "multiline", "pcre2", "vimgrep", "heading", "oneline", "stat",
    "shortstat", "numstat", "name-only", "name-status", "porcelain", "cached", "staged", "ff-only", "amend",
    "signoff", "insecure", "fail", "show-error", "parents", "human-readable", "summarize", "checksum", "color",
    "colour", "debug", "offline", "detach", "privileged", "tty", "no-color", "no-pager", "no-merges", "no-edit",
    "no-verify", "no-ff",
})


def _argument_is(ctx: FileContext, call: cst.Call, cond: dict) -> bool:
    from mcp_lint.analysis.cst_utils import argument
    value = argument(call, cond["position"], cond["keyword"])
    if value is None:
        return False
    if cond["present"]:
        return True
    for wanted in cond["is"]:
        if isinstance(wanted, bool) or wanted is None:
            if isinstance(value, cst.Name) and value.value == str(wanted):
                return True
        elif isinstance(wanted, str) and "." in wanted:
            if ctx.resolve(value) == wanted:
                return True
        elif isinstance(wanted, str) and string_value(value) == wanted:
            return True
    return False


def _restrictions(ctx: FileContext, sink: cst.Call, origin: Origin,
                  ancestors: tuple[cst.CSTNode, ...]) -> list[str]:
    """What limits a by-design command runner: an allow-list check on the input (in the tool,
    in the function that runs the command, or in a same-file helper the value passes), a
    timeout, a working directory the model does not choose. Each function is indexed once
    (`_Facts`), so a function with many sinks costs time in proportion to its size."""
    out = []
    sink_fn = next((n for n in reversed(ancestors) if isinstance(n, cst.FunctionDef)), None)
    scopes: list[tuple[cst.FunctionDef, set[str]]] = []
    if isinstance(origin.function, cst.FunctionDef):
        scopes.append((origin.function, {origin.param}))
    if sink_fn is not None:
        scopes.append((sink_fn, {n.value for a in sink.args if a.keyword is None for n in iter_names(a.value)}))
    helpers = [_local_target(ctx, s.node) for s in origin.steps if isinstance(s.node, cst.Call)]
    for helper in list(helpers):
        if helper is not None:
            helpers += _facts(ctx, helper).callees
    scopes += [(h, set(_param_names(h))) for h in dict.fromkeys(helpers) if h is not None]
    enclosing = {id(n) for n in ancestors}
    if any(_facts(ctx, fn).allow_listed(names, enclosing) for fn, names in scopes):
        out.append("an allow-list check")
    functions = [fn for fn, _ in scopes[:2]]
    if keyword(sink, "timeout") is not None or any(_facts(ctx, fn).timeout for fn in functions):
        out.append("a timeout")
    cwd = keyword(sink, "cwd")
    if cwd is not None and sink_fn is not None and \
            not [o for o in ctx.flows.resolved(cwd.value, _end_point(ctx, sink_fn)) if o.kind == TOOL]:
        out.append("a working directory")
    return out


def _end_point(ctx: FileContext, fn: cst.FunctionDef) -> Point:
    frame = ctx.flows.frames.get(fn)
    return frame.point() if frame is not None else ctx.state.module_frame.point()


def _local_target(ctx: FileContext, call: cst.Call) -> cst.FunctionDef | None:
    func = call.func
    if isinstance(func, cst.Name):
        return ctx.index.find_function(func.value, None)
    if isinstance(func, cst.Attribute):
        return ctx.index.unique_method(func.attr.value)
    return None


def _param_names(fn: cst.FunctionDef) -> list[str]:
    p = fn.params
    return [x.name.value for x in list(p.posonly_params) + list(p.params) + list(p.kwonly_params)
            if x.name.value not in ("self", "cls")]


def _facts(ctx: FileContext, fn: cst.FunctionDef) -> _Facts:
    table = ctx.scratch.setdefault("tainted-call:functions", {})
    facts = table.get(fn)
    if facts is None:
        facts = table[fn] = _Facts(ctx, fn)
    return facts


class _Facts:
    """One function's body (nested code included), read once for `_restrictions`:

    - `callees`: same-file functions it calls;
    - `timeout`: whether it sets one (`asyncio.wait_for(...)`, `communicate(timeout=...)`);
    - allow-list tests: every conjunct of an `if` test that is a membership or prefix test
      (`x not in ALLOWED`, `not x.startswith(OK)`), as bit `i` of integer masks, and for each
      name the tests whose tested side (or list side) reads a value derived from that name.
      "Derived" follows assignments and loop targets (`y = f(x)`, `for y in x`) to a fixpoint,
      computed once for all names over the strongly connected components of that graph.
    """

    def __init__(self, ctx: FileContext, fn: cst.FunctionDef) -> None:
        self.callees: list[cst.FunctionDef | None] = []
        self.timeout = False
        edges: dict[str, set[str]] = {}
        own: dict[str, list[int]] = {}  # name -> [tested-side mask, list-side mask]
        self.unlisted_rejected = 0  # tests passing for unlisted values whose branch leaves
        self.listed = 0  # tests passing for listed values
        self.bodies: dict[int, int] = {}  # id(if body) -> its tests
        bit = 1
        for n in descendants(fn.body):
            t = type(n)
            if t is cst.Call:
                self.callees.append(_local_target(ctx, n))
                if not self.timeout and _sets_timeout(ctx, n):
                    self.timeout = True
            elif t is cst.Assign:
                sources = {x.value for x in iter_names(n.value)}
                if sources:
                    targets = {name.value for tg in n.targets for name in target_names(tg.target)}
                    for src in sources:
                        edges.setdefault(src, set()).update(targets)
            elif t is cst.For:
                sources = {x.value for x in iter_names(n.iter)}
                targets = {name.value for name in target_names(n.target)}
                for src in sources:
                    edges.setdefault(src, set()).update(targets)
            elif t is cst.If:
                rejects = terminates(n.body)
                for part in _conjuncts(n.test):
                    test = _membership(part)
                    if test is None:
                        continue
                    tested, listed, unlisted = test
                    for name in tested:
                        own.setdefault(name, [0, 0])[0] |= bit
                    for name in listed:
                        own.setdefault(name, [0, 0])[1] |= bit
                    if unlisted:
                        if rejects:
                            self.unlisted_rejected |= bit
                    else:
                        self.listed |= bit
                    self.bodies[id(n.body)] = self.bodies.get(id(n.body), 0) | bit
                    bit <<= 1
        self.callees = [c for c in self.callees if c is not None]
        self.reach = _closure(edges, own) if bit > 1 else {}

    def allow_listed(self, names: set[str], enclosing: set[int]) -> bool:
        """An allow-list test on a value derived from `names`: one whose branch rejects
        unlisted values and does not hold the sink, or one passing for listed values whose
        branch holds it (`enclosing`: the ids of the sink's enclosing nodes)."""
        if not self.reach:
            return False
        tested = listed = 0
        for name in names:
            masks = self.reach.get(name)
            if masks is not None:
                tested |= masks[0]
                listed |= masks[1]
        valid = tested & ~listed  # the list side must not be derived from the input itself
        if not valid:
            return False
        around = 0
        for key in enclosing.intersection(self.bodies):
            around |= self.bodies[key]
        return bool(valid & self.unlisted_rejected & ~around or valid & self.listed & around)


def _closure(edges: dict[str, set[str]], own: dict[str, list[int]]) -> dict[str, tuple[int, int]]:
    """For each name: the OR of `own` masks over every name derived from it (itself included),
    by Tarjan's strongly connected components (iterative), each component once."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: dict[str, tuple[int, int]] = {}
    counter = 0
    for root in list(edges) + list(own):
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(edges.get(root, ())))]
        while work:
            v, successors = work[-1]
            for w in successors:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(edges.get(w, ()))))
                    break
                if w in on_stack and index[w] < low[v]:
                    low[v] = index[w]
            else:
                work.pop()
                if work and low[v] < low[work[-1][0]]:
                    low[work[-1][0]] = low[v]
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    members = set(component)
                    tested = listed = 0
                    for w in component:
                        masks = own.get(w)
                        if masks is not None:
                            tested |= masks[0]
                            listed |= masks[1]
                        for x in edges.get(w, ()):
                            if x not in members:
                                tested |= out[x][0]
                                listed |= out[x][1]
                    for w in component:
                        out[w] = (tested, listed)
    return out


def _membership(test: cst.BaseExpression) -> tuple[set[str], set[str], bool] | None:
    """A membership or prefix test: (names on the tested side, names on the list side,
    whether the test passes for values NOT on the list); None for any other test.
    `x not in L` and `not x.startswith(L)` pass for unlisted values, `x in L` for listed ones."""
    negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
    inner = test.expression if negated else test  # type: ignore[union-attr]
    if isinstance(inner, cst.Comparison) and len(inner.comparisons) == 1 and \
            isinstance(inner.comparisons[0].operator, (cst.In, cst.NotIn)):
        tested = {x.value for x in iter_names(inner.left)}
        if not tested:
            return None
        return tested, {x.value for x in iter_names(inner.comparisons[0].comparator)}, \
            isinstance(inner.comparisons[0].operator, cst.NotIn) != negated
    if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and \
            inner.func.attr.value == "startswith" and inner.args and string_value(inner.args[0].value) != "-":
        tested = {x.value for x in iter_names(inner.func.value)}
        return (tested, set(), negated) if tested else None
    return None


def _sets_timeout(ctx: FileContext, call: cst.Call) -> bool:
    """`asyncio.wait_for(...)`, `async with asyncio.timeout(...)`, `proc.communicate(timeout=...)`."""
    if ctx.resolve(call.func) in _TIMEOUT_CALLS:
        return True
    return isinstance(call.func, cst.Attribute) and call.func.attr.value in ("communicate", "wait") and \
        keyword(call, "timeout") is not None


def _conjuncts(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(test, cst.BooleanOperation):
        return _conjuncts(test.left) + _conjuncts(test.right)
    return [test]
