"""The MCP101 fix: SQL built by formatting becomes a parameterized query.

    cur.execute(f"SELECT * FROM t WHERE name = '{name}' LIMIT {n}")
    ->  cur.execute("SELECT * FROM t WHERE name = ? LIMIT ?", (name, n))

Offered only when every interpolation is a value in a value position, so that the query means
what it meant for every value that did not break it:
- a whole SQL string literal (`'{name}'`), which the placeholder replaces quotes included; in
  an f-string, a literal with other text around the value (`LIKE '%{term}%'`) becomes one
  placeholder whose parameter is an f-string of the literal's content (`f"%{term}%"`);
- a number (an `int`/`float` parameter, an `int(...)`/`float(...)`/`len(...)` call, a numeric
  literal) right after a comparison operator, `LIKE`, `LIMIT`, `OFFSET`, or in a `VALUES` list.
Never when an interpolation is an identifier (`FROM {table}`), a keyword (`ORDER BY x {order}`)
or a fragment (`WHERE {condition}`), has a format spec or conversion, or sits inside a
double-quoted or backquoted identifier or a comment.

The placeholder is the driver's paramstyle, from the sink's type: `?` (sqlite3, aiosqlite,
DuckDB, pyodbc), `%s` (psycopg 2/3, PyMySQL, mysqlclient, mysql-connector, aiomysql, pymssql,
Snowflake; `%` elsewhere in the text is doubled), `$1` (asyncpg, parameters as further
arguments), `:1` (oracledb), and for SQLAlchemy's `text()` `:name` with `.bindparams(name=...)`.
The parameters go right after the SQL argument, which must be the call's only positional one.
Handled builds: f-strings (implicitly concatenated too), `%` with a tuple, a single value or a
dict literal, `.format(...)`, and `+` of string literals and values; either as the sink's
argument, or assigned to a name once and used only by the sink. Literal text with backslash
escapes is left alone (the rewrite keeps the text as written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from mcp_lint.analysis.fields import descendants
from mcp_lint.analysis.state import ASSIGN, Point
from mcp_lint.check.context import FileContext, NodeFix
from mcp_lint.check.fixkit import fix_builder
from mcp_lint.model.findings import Applicability, Edit
from mcp_lint.model.rules import Rule

_STYLES = (
    ("sqlite3.", "qmark"), ("aiosqlite.", "qmark"), ("duckdb.", "qmark"), ("pyodbc.", "qmark"),
    ("psycopg2.", "format"), ("psycopg.", "format"), ("pymysql.", "format"), ("MySQLdb.", "format"),
    ("mysql.connector.", "format"), ("aiomysql.", "format"), ("pymssql.", "format"), ("snowflake.", "format"),
    ("asyncpg.", "dollar"), ("oracledb.", "colon"),
)
_METHODS = frozenset({"execute", "fetch", "fetchrow", "fetchval", "execute_fetchall", "mogrify"})
_TEXT_CALLS = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text"})
_VALUE_WORDS = frozenset({"LIKE", "ILIKE", "LIMIT", "OFFSET"})
_OPERATORS = ("<>", "!=", "<=", ">=", "=", "<", ">")
_NUMERIC_CALLS = frozenset({"int", "float", "len", "round", "abs"})
_NUMERIC_TYPES = frozenset({"int", "float"})


def paramstyle(ctx: FileContext, sink: cst.Call, point: Point) -> str | None:
    target = ctx.types.call_target(sink, point) or ""
    if target in _TEXT_CALLS:
        return "named"
    if target.rsplit(".", 1)[-1] not in _METHODS:
        return None
    for prefix, style in _STYLES:
        if target.startswith(prefix):
            return style
    return None


# -- the build, as literal text and holes ------------------------------------------------------------

@dataclass(eq=False)
class _Text:
    text: str  # the SQL text (escapes of the Python literal undone: `{{` -> `{`, `%%` -> `%`)
    source: str  # as written in the literal (for a parameter f-string)
    owner: cst.CSTNode = field(repr=False)  # the string literal it belongs to


@dataclass(eq=False)
class _Hole:
    expr: cst.BaseExpression = field(repr=False)
    owner: cst.CSTNode | None = field(default=None, repr=False)  # its literal (f-strings); None for %, format, +


@dataclass(eq=False)
class _Literal:
    """A string literal of the build, to be rewritten: its prefix and quote."""

    node: cst.CSTNode
    prefix: str
    quote: str


class _Refuse(Exception):
    pass


def _simple(node: cst.SimpleString) -> tuple[str, _Literal]:
    prefix, quote = node.prefix, node.quote
    body = node.value[len(prefix) + len(quote):-len(quote)]
    if "\\" in body or "b" in prefix.lower():
        raise _Refuse
    return body, _Literal(node, prefix.replace("u", "").replace("U", ""), quote)


def _fstring(node: cst.FormattedString, pieces: list, literals: list) -> None:
    prefix = node.prefix.replace("f", "").replace("F", "")
    if "b" in prefix.lower():
        raise _Refuse
    literals.append(_Literal(node, prefix, node.end if node.end else '"'))
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            if "\\" in part.value:
                raise _Refuse
            pieces.append(_Text(part.value.replace("{{", "{").replace("}}", "}"), part.value, node))
        else:
            assert isinstance(part, cst.FormattedStringExpression)
            if part.conversion is not None or part.format_spec is not None or part.equal is not None:
                raise _Refuse
            pieces.append(_Hole(part.expression, node))


def _literal_parts(expr: cst.BaseExpression, pieces: list, literals: list, unescape) -> None:
    """A string literal (implicit concatenation included) as text pieces."""
    if isinstance(expr, cst.ConcatenatedString):
        _literal_parts(expr.left, pieces, literals, unescape)
        _literal_parts(expr.right, pieces, literals, unescape)
    elif isinstance(expr, cst.SimpleString):
        body, lit = _simple(expr)
        literals.append(lit)
        pieces.append(_Text(unescape(body), body, expr))
    else:
        raise _Refuse


def _fstring_parts(expr: cst.BaseExpression, pieces: list, literals: list) -> None:
    if isinstance(expr, cst.ConcatenatedString):
        _fstring_parts(expr.left, pieces, literals)
        _fstring_parts(expr.right, pieces, literals)
    elif isinstance(expr, cst.FormattedString):
        _fstring(expr, pieces, literals)
    elif isinstance(expr, cst.SimpleString):
        body, lit = _simple(expr)
        literals.append(lit)
        pieces.append(_Text(body, body, expr))
    else:
        raise _Refuse


_PERCENT = re.compile(r"%(?:\((?P<name>\w+)\))?(?P<conv>[sdi%])|%")
_FIELD = re.compile(r"\{\{|\}\}|\{(?P<field>[^{}!:]*)\}|[{}]")


def _decompose(build: cst.BaseExpression) -> tuple[str, list, list]:
    """("fstring" | "percent" | "format" | "plus", pieces, literals)."""
    pieces: list = []
    literals: list = []
    if isinstance(build, (cst.FormattedString, cst.ConcatenatedString)):
        _fstring_parts(build, pieces, literals)
        return "fstring", pieces, literals
    if isinstance(build, cst.BinaryOperation) and isinstance(build.operator, cst.Modulo):
        raw: list = []
        _literal_parts(build.left, raw, literals, lambda s: s)
        right = build.right
        if isinstance(right, cst.Tuple):
            values = [e.value for e in right.elements if not isinstance(e, cst.StarredElement)]
            if len(values) != len(right.elements):
                raise _Refuse
            named: dict[str, cst.BaseExpression] = {}
        elif isinstance(right, cst.Dict):
            values = []
            named = {}
            for el in right.elements:
                if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.SimpleString):
                    raise _Refuse
                named[el.key.evaluated_value] = el.value
        else:
            values, named = [right], {}
        it = iter(values)
        for t in raw:
            pos = 0
            for m in _PERCENT.finditer(t.text):
                if m.group(0) == "%" or (m.group("conv") is None):
                    raise _Refuse
                if m.group("conv") == "%":
                    continue
                pieces.append(_Text(t.text[pos:m.start()].replace("%%", "%"), "", t.owner))
                if m.group("name"):
                    if m.group("name") not in named:
                        raise _Refuse
                    pieces.append(_Hole(named[m.group("name")], None))
                else:
                    value = next(it, None)
                    if value is None or named:
                        raise _Refuse
                    pieces.append(_Hole(value, None))
                pos = m.end()
            pieces.append(_Text(t.text[pos:].replace("%%", "%"), "", t.owner))
        if next(it, None) is not None:
            raise _Refuse
        return "percent", pieces, literals
    if isinstance(build, cst.Call) and isinstance(build.func, cst.Attribute) and build.func.attr.value == "format":
        raw = []
        _literal_parts(build.func.value, raw, literals, lambda s: s)
        positional = [a.value for a in build.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in build.args if a.keyword is not None}
        if any(a.star for a in build.args):
            raise _Refuse
        auto = 0
        for t in raw:
            pos = 0
            chunk = []
            for m in _FIELD.finditer(t.text):
                chunk.append(t.text[pos:m.start()])
                pos = m.end()
                token = m.group(0)
                if token in ("{{", "}}"):
                    chunk.append(token[0])
                    continue
                field = m.group("field")
                if field is None:
                    raise _Refuse
                pieces.append(_Text("".join(chunk), "", t.owner))
                chunk = []
                if field == "":
                    if auto >= len(positional):
                        raise _Refuse
                    pieces.append(_Hole(positional[auto], None))
                    auto += 1
                elif field.isdigit():
                    if int(field) >= len(positional):
                        raise _Refuse
                    pieces.append(_Hole(positional[int(field)], None))
                elif field in keywords:
                    pieces.append(_Hole(keywords[field], None))
                else:
                    raise _Refuse
            chunk.append(t.text[pos:])
            pieces.append(_Text("".join(chunk), "", t.owner))
        return "format", pieces, literals
    if isinstance(build, cst.BinaryOperation) and isinstance(build.operator, cst.Add):
        operands: list[cst.BaseExpression] = []

        def flatten(e: cst.BaseExpression) -> None:
            if isinstance(e, cst.BinaryOperation) and isinstance(e.operator, cst.Add) and not e.lpar:
                flatten(e.left)
                flatten(e.right)
            else:
                operands.append(e)
        flatten(build)
        for op in operands:
            if isinstance(op, (cst.SimpleString, cst.ConcatenatedString)):
                _literal_parts(op, pieces, literals, lambda s: s)
            elif isinstance(op, (cst.FormattedString,)):
                raise _Refuse
            else:
                pieces.append(_Hole(op, None))
        if not literals:
            raise _Refuse
        return "plus", pieces, literals
    raise _Refuse


# -- where each hole sits in the SQL ---------------------------------------------------------------

@dataclass(eq=False)
class _Value:
    start: tuple[int, int]  # (piece index, offset in the piece's text): where the placeholder goes
    end: tuple[int, int]  # end of the replaced SQL text (the closing quote included)
    holes: list[_Hole]
    fstring: bool = False  # the parameter is an f-string of a literal's content


def _analyse(pieces: list, numeric) -> list[_Value]:
    """The value regions of the SQL text, or _Refuse."""
    # The SQL text with each hole as one marker character, and a map back to pieces.
    chars: list[tuple[int, int]] = []  # index in the flat text -> (piece, offset)
    flat = []
    for i, p in enumerate(pieces):
        if isinstance(p, _Text):
            for k, ch in enumerate(p.text):
                flat.append(ch)
                chars.append((i, k))
        else:
            flat.append("\0")
            chars.append((i, 0))
    text = "".join(flat)
    values: list[_Value] = []
    state = "code"  # code | string | ident | line-comment | block-comment
    quote_start = -1
    holes_in_string: list[int] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if state == "code":
            if ch == "'":
                state, quote_start, holes_in_string = "string", i, []
            elif ch in '"`[':
                state = "ident"
                closing = {'"': '"', "`": "`", "[": "]"}[ch]
                j = text.find(closing, i + 1)
                if j < 0 or "\0" in text[i:j]:
                    raise _Refuse
                i = j
            elif text.startswith("--", i):
                j = text.find("\n", i)
                j = n if j < 0 else j
                if "\0" in text[i:j]:
                    raise _Refuse
                i = j
                continue
            elif text.startswith("/*", i):
                j = text.find("*/", i + 2)
                if j < 0 or "\0" in text[i:j]:
                    raise _Refuse
                i = j + 1
            elif ch == "\0":
                hole = pieces[chars[i][0]]
                if not _value_position(text, i) or not numeric(hole.expr):
                    raise _Refuse
                values.append(_Value(chars[i], _after(chars, pieces, i), [hole]))
            i += 1
            continue
        if state == "string":
            if ch == "'":
                if text.startswith("''", i):
                    i += 2
                    continue
                if holes_in_string:
                    whole = i - quote_start == 2 and len(holes_in_string) == 1
                    holes = [pieces[chars[k][0]] for k in holes_in_string]
                    values.append(_Value(chars[quote_start], _after(chars, pieces, i), holes, fstring=not whole))
                state = "code"
            elif ch == "\0":
                holes_in_string.append(i)
            i += 1
            continue
        i += 1
    if state != "code":
        raise _Refuse
    return values


def _after(chars, pieces, i: int) -> tuple[int, int]:
    piece, offset = chars[i]
    return (piece, offset + 1) if isinstance(pieces[piece], _Text) else (piece + 1, 0)


def _value_position(text: str, i: int) -> bool:
    before = text[:i].rstrip()
    after = text[i + 1:].lstrip()
    if after and after[0] not in ",);" and not after[0].isalpha():
        return False
    if after and after[0].isalpha():
        word = re.match(r"[A-Za-z_]+", after).group(0).upper()
        if word not in {"AND", "OR", "LIMIT", "OFFSET", "ORDER", "GROUP", "HAVING", "UNION", "RETURNING",
                        "ESCAPE", "WHERE", "FOR", "ON", "INTERSECT", "EXCEPT", "WINDOW"}:
            return False
    if before.endswith(_OPERATORS):
        return True
    word = re.search(r"([A-Za-z_]+)$", before)
    if word and word.group(1).upper() in _VALUE_WORDS:
        return True
    if before.endswith(("(", ",")):
        head = re.findall(r"[A-Za-z_]+", before.upper())
        return bool(head) and "VALUES" in head and head[-1] in ("VALUES",) or _in_values_list(before)
    return False


def _in_values_list(before: str) -> bool:
    """The text before is inside the parenthesised list after VALUES."""
    upper = before.upper()
    at = upper.rfind("VALUES")
    if at < 0:
        return False
    tail = before[at + 6:]
    depth = 0
    for ch in tail:
        depth += ch == "("
        depth -= ch == ")"
    return depth == 1 and "\0" not in tail.replace("\0", "") and not re.search(r"[A-Za-z_]", tail.replace(
        "\0", ""))


def _numeric(ctx: FileContext, function: cst.CSTNode | None):
    params: dict[str, cst.BaseExpression | None] = {}
    if isinstance(function, cst.FunctionDef):
        for p in (*function.params.posonly_params, *function.params.params, *function.params.kwonly_params):
            params[p.name.value] = p.annotation.annotation if p.annotation is not None else None

    def check(expr: cst.BaseExpression) -> bool:
        if isinstance(expr, (cst.Integer, cst.Float)):
            return True
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in _NUMERIC_CALLS:
            return True
        if isinstance(expr, cst.Name) and expr.value in params:
            ann = params[expr.value]
            return isinstance(ann, cst.Name) and ann.value in _NUMERIC_TYPES
        return False
    return check


# -- the fix ---------------------------------------------------------------------------------------

@fix_builder
def sql_fix(ctx: FileContext, rule: Rule, sink: cst.Call, arg: cst.BaseExpression, build: cst.CSTNode,
            direct: bool, point: Point) -> NodeFix | None:
    if rule.fix is None or not isinstance(build, cst.BaseExpression):
        return None
    style = paramstyle(ctx, sink, point)
    if style is None:
        return None
    positional = [a for a in sink.args if a.keyword is None]
    if len(positional) != 1 or positional[0].star or positional[0].value is not arg:
        return None
    if direct:
        if arg is not build:
            return None  # wrapped (`.strip()`, `dedent(...)`): left alone
    elif not _used_once(ctx, point, arg, build):
        return None
    try:
        kind, pieces, literals = _decompose(build)
        function = point.frame.node
        values = _analyse(pieces, _numeric(ctx, function))
    except _Refuse:
        return None
    consumed = {id(h) for v in values for h in v.holes}
    if not values or any(isinstance(p, _Hole) and id(p) not in consumed for p in pieces):
        return None
    if any(v.fstring for v in values) and kind != "fstring":
        return None
    names = _param_names(values) if style == "named" else []
    edit = _Parameterize(sink, arg, build, kind, pieces, literals, values, style, names)
    return NodeFix("Pass the values as query parameters", (edit,), Applicability(rule.fix.value))


def _used_once(ctx: FileContext, point: Point, arg: cst.BaseExpression, build: cst.BaseExpression) -> bool:
    """`query = <build>` is the name's only binding in the function, and the sink its only use."""
    if not isinstance(arg, cst.Name):
        return False
    reaching = ctx.flows.reaching(arg.value, point)
    if len(reaching) != 1 or reaching[0].kind != ASSIGN or reaching[0].node is not build:
        return False
    scope = point.frame.node
    body = scope.body if isinstance(scope, cst.FunctionDef) else scope
    uses = sum(1 for n in descendants(body) if isinstance(n, cst.Name) and n.value == arg.value)
    return uses == 2


def _param_names(values: list[_Value]) -> list[str]:
    out: list[str] = []
    for k, v in enumerate(values, 1):
        expr = v.holes[0].expr if not v.fstring else None
        base = expr.value if isinstance(expr, cst.Name) else (
            expr.attr.value if isinstance(expr, cst.Attribute) else f"p{k}")
        name = base
        n = 2
        while name in out:
            name = f"{base}_{n}"
            n += 1
        out.append(name)
    return out


class _Parameterize:
    """The edits, made once the text is known: new literal(s), the parameters after the SQL."""

    def __init__(self, sink, arg, build, kind, pieces, literals, values, style, names) -> None:
        self.sink, self.arg, self.build, self.kind = sink, arg, build, kind
        self.pieces, self.literals, self.values, self.style, self.names = pieces, literals, values, style, names

    def nodes(self):
        out = [self.sink, self.arg, self.build] + [lit.node for lit in self.literals]
        out += [h.expr for h in self.pieces if isinstance(h, _Hole)]
        return out

    def _placeholder(self, k: int) -> str:
        return {"qmark": "?", "format": "%s", "dollar": f"${k}", "colon": f":{k}",
                "named": f":{self.names[k - 1] if self.names else k}"}[self.style]

    def resolve(self, view):
        src = lambda node: view.text[view.start(node):view.end(node)]  # noqa: E731
        starts = {v.start: (k, v) for k, v in enumerate(self.values, 1)}
        # Render each literal's new text, walking the pieces.
        rendered: dict[int, list[str]] = {id(lit.node): [] for lit in self.literals}
        skipping: tuple[int, int] | None = None
        for i, p in enumerate(self.pieces):
            if isinstance(p, _Hole):
                if skipping is None and (i, 0) in starts:  # a bare number: the placeholder replaces it
                    number, value = starts[(i, 0)]
                    out = rendered.get(id(p.owner)) if p.owner is not None else None
                    if out is None:
                        out = self._owner_before(i, rendered)
                    if out is None:
                        return None
                    out.append(self._placeholder(number))
                    skipping = value.end
                if skipping is None:
                    return None
                if skipping == (i + 1, 0):
                    skipping = None
                continue
            out = rendered.get(id(p.owner))
            if out is None:
                return None
            for k, ch in enumerate(p.text + "\x01"):
                if skipping is not None:
                    if skipping == (i, k):
                        skipping = None
                    else:
                        continue
                if (i, k) in starts:
                    number, value = starts[(i, k)]
                    out.append(self._placeholder(number))
                    skipping = value.end
                    if skipping == (i, k):
                        skipping = None
                    continue
                if ch == "\x01":
                    break
                out.append("%%" if ch == "%" and self.style == "format" else ch)
        if skipping is not None and skipping != (len(self.pieces), 0):
            return None
        params = [self._param(v, src) for v in self.values]
        if any(p is None for p in params):
            return None
        edits: list[Edit] = []
        if self.kind == "plus":
            first = self.literals[0]
            body = "".join("".join(rendered[id(lit.node)]) for lit in self.literals)
            if ("\n" in body or "\r" in body) and len(first.quote) == 1:
                return None
            new = f"{first.prefix}{first.quote}{body}{first.quote}"
            edits.append(Edit(view.lines.span(view.start(self.build), view.end(self.build)), new))
        else:
            for lit in self.literals:
                body = "".join(rendered[id(lit.node)])
                if lit.quote in body and len(lit.quote) == 1:
                    return None
                new = f"{lit.prefix}{lit.quote}{body}{lit.quote}"
                if new != src(lit.node):
                    edits.append(Edit(view.lines.span(view.start(lit.node), view.end(lit.node)), new))
            if self.kind in ("percent", "format"):
                left_end = view.end(self.literals[-1].node)
                edits.append(Edit(view.lines.span(left_end, view.end(self.build)), ""))
        if self.style == "named":
            binds = ", ".join(f"{name}={param}" for name, param in zip(self.names, params))
            edits.append(Edit(view.lines.span(view.end(self.sink), view.end(self.sink)), f".bindparams({binds})"))
        elif self.style == "dollar":
            edits.append(Edit(view.lines.span(view.end(self.arg), view.end(self.arg)), ", " + ", ".join(params)))
        else:
            joined = ", ".join(params) + ("," if len(params) == 1 else "")
            edits.append(Edit(view.lines.span(view.end(self.arg), view.end(self.arg)), f", ({joined})"))
        edits.sort(key=lambda e: (e.span.start_offset, e.span.end_offset))
        return edits

    def _owner_before(self, i: int, rendered) -> list[str] | None:
        """The rendered text of the literal just before piece `i` (%, format, +: holes have no owner)."""
        for p in reversed(self.pieces[:i]):
            if isinstance(p, _Text):
                return rendered.get(id(p.owner))
        return None

    def _param(self, value: _Value, src) -> str | None:
        if not value.fstring:
            expr = value.holes[0].expr
            text = src(expr)
            if "\n" in text or "\r" in text:
                return f"({text})"
            if isinstance(expr, (cst.Tuple, cst.Lambda, cst.NamedExpr, cst.Yield)) and not expr.lpar:
                return f"({text})"
            return text
        # `'%{term}%'` -> f"%{term}%": the literal's content, as written in the f-string
        (pi, po), (ei, eo) = value.start, value.end
        parts = []
        owner = None
        for i in range(pi, ei + 1 if eo else ei):
            p = self.pieces[i]
            if isinstance(p, _Hole):
                parts.append("{" + src(p.expr) + "}")
                continue
            if owner is None:
                owner = p.owner
            elif p.owner is not owner:
                return None
            lo = po + 1 if i == pi else 0
            hi = eo - 1 if i == ei else len(p.text)
            chunk = p.text[lo:hi]
            if "''" in chunk or "{" in chunk or "}" in chunk:
                return None
            parts.append(chunk)
        lit = next(lit for lit in self.literals if lit.node is owner)
        body = "".join(parts)
        if lit.quote in body and len(lit.quote) == 1:
            return None
        return f"f{lit.prefix}{lit.quote}{body}{lit.quote}"
