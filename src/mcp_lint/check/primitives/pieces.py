"""How a sink's value was put together, for sinks where only some pieces matter.

- A command's argv (`["git", "log", ref]`, `cmd = [...]; cmd.append(x)`, `base + extra`,
  `create_subprocess_exec("git", *args)`) is split into its items, so a rule can tell the
  program (argv[0]) from the arguments and see a `--` separator.
- A URL (`f"https://{host}/x"`, `BASE + path`, `"...{}".format(h)`) is split into text and
  interpolated values, so a rule can tell the scheme and host from the path.

Both follow a name through its reaching assignments (and list mutations) in the same
function; anything else is one opaque piece, judged by its flow as a whole. So is an argv
with more than `_MAX_ALTERNATIVES` possible item lists (assigned in many branches): the flow
analysis sees all its definitions, where splitting them all would take exponential time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from mcp_lint.analysis.cst_utils import string_value
from mcp_lint.analysis.state import ASSIGN, AUG, CALL_GUARD, FOR, MUTATE, NARROW, PARAM, Point
from mcp_lint.check.context import FileContext
from mcp_lint.check.primitives.common import helper_returns

_MAX_DEPTH = 6
_MAX_ALTERNATIVES = 8
_MAX_CALLERS = 64  # calls of a helper whose parameter a URL or a path is (each judged on its own)


@dataclass(frozen=True, eq=False)
class Item:
    """One argv item (`splat`: any number of items from one expression)."""

    expr: cst.BaseExpression
    point: Point
    splat: bool = False


def constant_text(ctx: FileContext, expr: cst.BaseExpression, point: Point) -> str | None:
    """A string literal, or a name bound only to one (locally or at module level)."""
    value = string_value(expr)
    if value is not None or not isinstance(expr, cst.Name):
        return value
    bindings = ctx.flows.reaching(expr.value, point)
    if bindings:
        if len(bindings) == 1 and bindings[0].kind == ASSIGN and not bindings[0].index and \
                isinstance(bindings[0].node, cst.BaseExpression):
            return string_value(bindings[0].node)
        return None
    values = ctx.index.module_bindings.get(expr.value) or []
    texts = {string_value(v) if v is not None else None for v in values}
    return texts.pop() if len(texts) == 1 else None


def program_text(ctx: FileContext, expr: cst.BaseExpression, point: Point) -> str | None:
    """A constant program name, or the default of an environment read
    (`os.environ.get("SHELL", "/bin/bash")`): what runs unless the deployment says otherwise."""
    text = constant_text(ctx, expr, point)
    if text is not None or not isinstance(expr, (cst.Name, cst.Call)):
        return text
    if isinstance(expr, cst.Name):
        bindings = ctx.flows.reaching(expr.value, point)
        if len(bindings) == 1 and bindings[0].kind == ASSIGN and isinstance(bindings[0].node, cst.Call):
            return program_text(ctx, bindings[0].node, bindings[0].point)
        return None
    if ctx.resolve(expr.func) in ("os.environ.get", "os.getenv") and len(expr.args) == 2:
        return constant_text(ctx, expr.args[1].value, point)
    return None


# ---------------------------------------------------------------------------------------------
# argv
# ---------------------------------------------------------------------------------------------

def argv_alternatives(ctx: FileContext, expr: cst.BaseExpression, point: Point,
                      depth: int = 0) -> list[list[Item]]:
    """The possible item lists of an argv expression (one per reaching definition)."""
    if depth > _MAX_DEPTH:
        return [[Item(expr, point, splat=True)]]
    if isinstance(expr, (cst.List, cst.Tuple)):
        items: list[list[Item]] | None = [[]]
        for el in expr.elements:
            if isinstance(el, cst.StarredElement):
                items = _extend(items, argv_alternatives(ctx, el.value, point, depth + 1))  # type: ignore[arg-type]
                if items is None:
                    return _whole(expr, point)
            else:
                items = [alt + [Item(el.value, point)] for alt in items]  # type: ignore[union-attr]
        return items  # type: ignore[return-value]
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return _extend(argv_alternatives(ctx, expr.left, point, depth + 1),
                       argv_alternatives(ctx, expr.right, point, depth + 1)) or _whole(expr, point)
    if isinstance(expr, cst.Call) and ctx.resolve(expr.func) in ("builtins.list", "builtins.tuple") and \
            len(expr.args) == 1:
        return argv_alternatives(ctx, expr.args[0].value, point, depth + 1)
    if isinstance(expr, cst.Call):
        returned = helper_returns(ctx, expr, point)
        if returned:
            out: list[list[Item]] = []
            for value, at in returned:
                out.extend(argv_alternatives(ctx, value, at, depth + 1))
            return out if len(out) <= _MAX_ALTERNATIVES else _whole(expr, point)
    if isinstance(expr, cst.Name):
        bindings = ctx.flows.reaching(expr.value, point)
        if not bindings:
            values = ctx.index.module_bindings.get(expr.value) or []
            if len(values) == 1 and isinstance(values[0], (cst.List, cst.Tuple)):
                return argv_alternatives(ctx, values[0], ctx.state.module_frame.point(), depth + 1)
            return [[Item(expr, point, splat=True)]]
        out: list[list[Item]] = []
        for b in bindings:
            out.extend(_binding_items(ctx, expr, point, b, depth))
            if len(out) > _MAX_ALTERNATIVES:
                return _whole(expr, point)
        return out
    return [[Item(expr, point, splat=True)]]


def _binding_items(ctx: FileContext, name: cst.Name, point: Point, b, depth: int) -> list[list[Item]]:
    before = lambda: argv_alternatives(ctx, name, b.point, depth + 1)  # noqa: E731
    if b.kind == ASSIGN and not b.index and isinstance(b.node, cst.BaseExpression):
        alternatives = argv_alternatives(ctx, b.node, b.point, depth + 1)
        if len(alternatives) == 1 and len(alternatives[0]) == 1 and alternatives[0][0].splat and \
                alternatives[0][0].expr is b.node:
            return [[Item(name, point, splat=True)]]  # opaque as a whole: judged where it is used (guards)
        return alternatives
    if b.kind == AUG and isinstance(b.node, cst.AugAssign) and isinstance(b.node.operator, cst.AddAssign):
        return _extend(before(), argv_alternatives(ctx, b.node.value, b.point, depth + 1)) or _whole(name, point)
    if b.kind == MUTATE and isinstance(b.node, cst.Call) and isinstance(b.node.func, cst.Attribute):
        method = b.node.func.attr.value
        args = b.node.args
        if method == "append" and args:
            return [alt + [Item(args[0].value, b.point)] for alt in before()]
        if method == "extend" and args:
            return _extend(before(), argv_alternatives(ctx, args[0].value, b.point, depth + 1)) or _whole(name, point)
        if method == "insert" and len(args) == 2:
            at = args[0].value
            new = Item(args[1].value, b.point)
            if isinstance(at, cst.Integer):
                i = int(at.value)
                return [alt[:i] + [new] + alt[i:] for alt in before()]
            return [alt + [new] for alt in before()]
    if b.kind in (NARROW, CALL_GUARD):  # a guard: the value as a whole is judged where it is used
        return [[Item(name, point, True) if i.splat and i.expr is name else i for i in alt] for alt in before()]
    if b.kind == PARAM and depth < _MAX_DEPTH:
        fn = b.point.frame.node
        star = fn.params.star_arg if isinstance(fn, cst.FunctionDef) else None
        if isinstance(star, cst.Param) and star is b.node:
            expanded = _star_arguments(ctx, fn, depth)
            if expanded:
                return expanded
    return [[Item(name, point, splat=True)]]


def _star_arguments(ctx: FileContext, fn: cst.FunctionDef, depth: int) -> list[list[Item]]:
    """`def git(*args)`: what each same-file call passes beyond the named parameters."""
    named = len(fn.params.posonly_params) + len(fn.params.params)
    if fn.params.params and fn.params.params[0].name.value in ("self", "cls"):
        named -= 1
    out: list[list[Item]] = []
    for call, at in ctx.flows.callers(fn):
        items: list[list[Item]] | None = [[]]
        positional = [a for a in call.args if a.keyword is None and a.star != "**"]
        if any(a.star == "*" for a in positional[:named]):
            return []
        for arg in positional[named:]:
            if arg.star == "*":
                items = _extend(items, argv_alternatives(ctx, arg.value, at, depth + 1))  # type: ignore[arg-type]
                if items is None:
                    return []  # too many: `args` is judged as a whole
            else:
                items = [alt + [Item(arg.value, at)] for alt in items]  # type: ignore[union-attr]
        out.extend(items)  # type: ignore[arg-type]
        if len(out) > _MAX_ALTERNATIVES:
            return []
    return out


def _extend(heads: list[list[Item]], tails: list[list[Item]]) -> list[list[Item]] | None:
    """Every head followed by every tail; None when that is more than _MAX_ALTERNATIVES."""
    if len(heads) * len(tails) > _MAX_ALTERNATIVES:
        return None
    return [h + t for h in heads for t in tails]


def _whole(expr: cst.BaseExpression, point: Point) -> list[list[Item]]:
    """The value as one item of unknown extent, judged by its flow as a whole."""
    return [[Item(expr, point, splat=True)]]


def positional_argv(call: cst.Call) -> list[cst.Arg] | None:
    """`create_subprocess_exec("git", "log", *extra)`: every positional argument is an item."""
    args = [a for a in call.args if a.keyword is None and a.star != "**"]
    return args or None


def positional_alternatives(ctx: FileContext, call: cst.Call, point: Point) -> list[list[Item]]:
    args = positional_argv(call) or []
    items: list[list[Item]] | None = [[]]
    for arg in args:
        if arg.star == "*":
            items = _extend(items, argv_alternatives(ctx, arg.value, point))  # type: ignore[arg-type]
            if items is None:  # too many: each argument is judged as a whole
                return [[Item(a.value, point, splat=a.star == "*") for a in args]]
        else:
            items = [alt + [Item(arg.value, point)] for alt in items]  # type: ignore[union-attr]
    return items  # type: ignore[return-value]


def starts_with_text(ctx: FileContext, expr: cst.BaseExpression, point: Point, depth: int = 0) -> bool:
    """Does the value begin with constant text (`f"--out={x}"`, `"refs/" + x`)? Such an argv
    item cannot become an option, whatever follows."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(expr, cst.FormattedString):
        first = expr.parts[0] if expr.parts else None
        return isinstance(first, cst.FormattedStringText) and first.value != ""
    if isinstance(expr, cst.ConcatenatedString):
        return starts_with_text(ctx, expr.left, point, depth + 1)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Modulo)):
        text = constant_text(ctx, expr.left, point)
        if isinstance(expr.operator, cst.Modulo):
            return bool(text) and not text.startswith("%")
        return bool(text) or starts_with_text(ctx, expr.left, point, depth + 1)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        text = constant_text(ctx, expr.func.value, point)
        return bool(text) and not text.startswith("{")
    if isinstance(expr, cst.Name):
        bindings = ctx.flows.reaching(expr.value, point)
        return bool(bindings) and all(
            b.kind == ASSIGN and not b.index and isinstance(b.node, cst.BaseExpression)
            and starts_with_text(ctx, b.node, b.point, depth + 1) for b in bindings)
    return False


# ---------------------------------------------------------------------------------------------
# paths
# ---------------------------------------------------------------------------------------------

# Calls that keep a path the same path (expanded, made absolute, resolved, as text).
_SAME_PATH_CALLS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath",
                              "pathlib.WindowsPath", "os.path.expanduser", "os.path.expandvars", "os.path.abspath",
                              "os.path.realpath", "os.path.normpath", "builtins.str", "os.fspath", "anyio.Path"})
_SAME_PATH_METHODS = frozenset({"expanduser", "resolve", "absolute", "as_posix"})


def whole_path(ctx: FileContext, expr: cst.BaseExpression, point: Point, depth: int = 0) -> bool:
    """Is this path tool input as a whole: a handler's parameter (or an item of one, or a read of
    its arguments), possibly expanded, made absolute, resolved or taken `.parent` of, with no
    directory of the server's joined before it? Such a tool's contract is "any path"."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(expr, cst.Await):
        return whole_path(ctx, expr.expression, point, depth + 1)
    if isinstance(expr, cst.Call):
        func = expr.func
        if ctx.resolve(func) in _SAME_PATH_CALLS and len(expr.args) == 1:
            return whole_path(ctx, expr.args[0].value, point, depth + 1)
        if isinstance(func, cst.Attribute) and func.attr.value in _SAME_PATH_METHODS:
            return whole_path(ctx, func.value, point, depth + 1)
        if isinstance(func, cst.Attribute) and func.attr.value == "get" and expr.args:
            return _handler_input(ctx, func.value, point)  # `arguments.get("path")`
        return False
    if isinstance(expr, cst.Attribute) and expr.attr.value == "parent":
        return whole_path(ctx, expr.value, point, depth + 1)
    if isinstance(expr, cst.Subscript):
        return _handler_input(ctx, expr.value, point)  # `arguments["path"]`
    if isinstance(expr, cst.Name):
        bindings = [b for b in ctx.flows.reaching(expr.value, point) if b.kind not in (NARROW, CALL_GUARD)]
        if not bindings:
            return False
        for b in bindings:
            if b.kind == PARAM:
                if b.point.frame.handler is None:
                    passed = ctx.flows.passed_for(b.point.frame.node, b.name)
                    if not passed or len(passed) > _MAX_CALLERS or \
                            not all(whole_path(ctx, arg, at, depth + 1) for arg, at in passed):
                        return False
                continue
            if b.kind in (ASSIGN, FOR) and not b.index and isinstance(b.node, cst.BaseExpression):
                if not whole_path(ctx, b.node, b.point, depth + 1):
                    return False
                continue
            return False
        return True
    return False


def _handler_input(ctx: FileContext, expr: cst.BaseExpression, point: Point) -> bool:
    if not isinstance(expr, cst.Name):
        return False
    bindings = ctx.flows.reaching(expr.value, point)
    return bool(bindings) and all(b.kind == PARAM and b.point.frame.handler is not None for b in bindings)


# ---------------------------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------------------------

_REQUEST_OBJECTS = frozenset({"urllib.request.Request", "requests.Request", "httpx.Request"})
# Linear on any text: no two adjacent repeats can match the same character.
_FORMAT_FIELD = re.compile(r"\{([^{}!:]*)(?:[!:][^{}]*)?\}")
_PERCENT_FIELD = re.compile(r"%(?:\([^()]*\))?[-#0 +]*(?:[1-9]\d*)?(?:\.\d+)?[sdrif]")


def _url_parts(ctx: FileContext, expr: cst.BaseExpression, point: Point,
               depth: int = 0) -> list[tuple[str | None, cst.BaseExpression | None, Point]]:
    """The URL as a sequence of (text, None, _) and (None, value, point) parts."""
    text = constant_text(ctx, expr, point)
    if text is not None:
        return [(text, None, point)]
    if depth > _MAX_DEPTH:
        return [(None, expr, point)]
    if isinstance(expr, cst.FormattedString):
        out: list = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append((part.value, None, point))
            else:
                out.extend(_url_parts(ctx, part.expression, point, depth + 1))  # type: ignore[union-attr]
        return out
    if isinstance(expr, cst.ConcatenatedString):
        return _url_parts(ctx, expr.left, point, depth + 1) + _url_parts(ctx, expr.right, point, depth + 1)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return _url_parts(ctx, expr.left, point, depth + 1) + _url_parts(ctx, expr.right, point, depth + 1)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        template = constant_text(ctx, expr.left, point)
        values = [e.value for e in expr.right.elements] if isinstance(expr.right, cst.Tuple) else [expr.right]
        if template is not None:
            return _template(template, _PERCENT_FIELD, lambda i, _f: values[i] if i < len(values) else None, point)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        template = constant_text(ctx, expr.func.value, point)
        if template is not None:
            positional = [a.value for a in expr.args if a.keyword is None and not a.star]
            keywords = {a.keyword.value: a.value for a in expr.args if a.keyword is not None}

            def pick(i: int, field: str) -> cst.BaseExpression | None:
                if field.isdigit():
                    n = int(field)
                    return positional[n] if n < len(positional) else None
                if field:
                    return keywords.get(field.split(".")[0].split("[")[0])
                return positional[i] if i < len(positional) else None
            return _template(template, _FORMAT_FIELD, pick, point)
    if isinstance(expr, cst.Call) and len(expr.args) == 2 and ctx.resolve(expr.func) == "urllib.parse.urljoin":
        first = _url_parts(ctx, expr.args[1].value, point, depth + 1)[0]
        if first[0] is not None and first[0].startswith("/") and not first[0].startswith("//"):
            return _url_parts(ctx, expr.args[0].value, point, depth + 1) + [("/", None, point)]  # a path on base
    if isinstance(expr, cst.Call) and expr.args and ctx.resolve(expr.func) in _REQUEST_OBJECTS:
        return _url_parts(ctx, expr.args[0].value, point, depth + 1)  # `urlopen(Request(url, ...))`
    if isinstance(expr, cst.Name):
        bindings = ctx.flows.reaching(expr.value, point)
        if len(bindings) == 1 and bindings[0].kind == ASSIGN and not bindings[0].index and \
                isinstance(bindings[0].node, cst.BaseExpression):
            return _url_parts(ctx, bindings[0].node, bindings[0].point, depth + 1)
    return [(None, expr, point)]


def _template(template: str, pattern: re.Pattern[str], pick, point: Point) -> list:
    out: list = []
    pos = 0
    for i, m in enumerate(pattern.finditer(template)):
        out.append((template[pos:m.start()], None, point))
        value = pick(i, m.group(1) if m.groups() else "")
        out.append((None, value, point) if value is not None else ("x", None, point))
        pos = m.end()
    out.append((template[pos:], None, point))
    return out


def url_head(ctx: FileContext, expr: cst.BaseExpression, point: Point,
             depth: int = 0) -> list[tuple[cst.BaseExpression, Point]]:
    """The interpolated values that can decide a URL's scheme or host: those before the
    authority ends (the first `/`, `?` or `#` after `://`). A value that starts the URL
    and is not tool input is taken to be a base URL that carries its own host, and so is a
    template that is not tool input with slots filled in (`url = url.replace("{{id}}", v)`):
    where the slots are is the configuration's choice. A URL that starts with literal text
    that is not a scheme (`/items/{id}`, `items/{id}`) is relative to a client's base URL (a
    client without one refuses it). A helper's parameter is what the file's callers pass."""
    head: list[tuple[cst.BaseExpression, Point]] = []
    text = ""
    for i, (literal, value, at) in enumerate(_url_parts(ctx, expr, point)):
        if literal is not None:
            text += literal
            if i == 0 and _relative(text):
                return head
            sep = text.find("//")
            if sep >= 0 and any(c in text[sep + 2:] for c in "/?#"):
                return head
            continue
        if value is None:
            continue
        if i == 0 and not text:
            passed = _passed_to_helper(ctx, value, at) if depth < _MAX_DEPTH else None
            if passed is not None:  # `def request(path): client.get(path)`: each caller's URL
                for arg, arg_at in passed:
                    head.extend(url_head(ctx, arg, arg_at, depth + 1))
                return head
            if not _from_tool(ctx, value, at) or _filled_template(ctx, value, at):
                return head  # a configured base URL, or template
        head.append((value, at))
    return head


_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


def _relative(text: str) -> bool:
    """Does a URL starting with this text have no scheme and no authority (`/x`, `x/y`, `x?q`)?
    A scheme is letters, digits, `+`, `.` and `-` up to a `:`; the text must have left that
    alphabet without a `:` (`http` or `https:/` could still be completed by what follows)."""
    if text.startswith("//"):
        return False
    for c in text:
        if c not in _SCHEME_CHARS:
            return c != ":"
    return False


def _passed_to_helper(ctx: FileContext, value: cst.BaseExpression,
                      point: Point) -> list[tuple[cst.BaseExpression, Point]] | None:
    """A parameter of a helper (not a handler) with callers in the file: what they pass."""
    if not isinstance(value, cst.Name):
        return None
    bindings = ctx.flows.reaching(value.value, point)
    if len(bindings) != 1 or bindings[0].kind != PARAM or bindings[0].point.frame.handler is not None:
        return None
    fn = bindings[0].point.frame.node
    passed = ctx.flows.passed_for(fn, value.value)
    return passed if passed and len(passed) <= _MAX_CALLERS else None


def _filled_template(ctx: FileContext, value: cst.BaseExpression, point: Point) -> bool:
    """`url = template` then `url = url.replace(slot, v)` (any number of times): every
    definition is either the template, not tool input, or a replacement in the name itself."""
    if not isinstance(value, cst.Name):
        return False
    name = value.value
    seen: set[int] = set()
    work = [(name, point)]
    templates = 0
    while work and len(seen) < 32:
        current, at = work.pop()
        for b in ctx.flows.reaching(current, at):
            if id(b) in seen:
                continue
            seen.add(id(b))
            node = b.node
            if b.kind != ASSIGN or b.index or not isinstance(node, cst.BaseExpression):
                return False
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
                    node.func.attr.value == "replace" and isinstance(node.func.value, cst.Name) and \
                    node.func.value.value == name:
                work.append((name, b.point))
            elif _from_tool(ctx, node, b.point):
                return False
            else:
                templates += 1
    return templates > 0 and not work


def _from_tool(ctx: FileContext, expr: cst.BaseExpression, point: Point) -> bool:
    from mcp_lint.analysis.taint import tool_origins
    return bool(tool_origins(ctx.flows.resolved(expr, point)))
