"""Small, allocation-light helpers over libcst nodes, shared by the analyses and primitives."""

from __future__ import annotations

import ast
import functools
import warnings
from collections.abc import Iterator, Sequence

import libcst as cst

from mcp_lint.analysis.fields import child_nodes


def dotted(expr: cst.BaseExpression | None) -> str | None:
    """`a.b.c` -> "a.b.c"; anything that is not a plain name/attribute chain -> None."""
    parts: list[str] = []
    # Exact type tests: libcst's node classes are ABCs, whose isinstance is several times slower,
    # and this runs on every call and attribute of a file.
    while type(expr) is cst.Attribute:
        parts.append(expr.attr.value)  # type: ignore[union-attr]
        expr = expr.value  # type: ignore[union-attr]
    if type(expr) is cst.Name:
        parts.append(expr.value)
        return ".".join(reversed(parts))
    return None


def root_name(expr: cst.BaseExpression) -> cst.Name | None:
    """The leftmost Name of an attribute/subscript/call chain: `a` in `a.b[0].c()`."""
    while True:
        if isinstance(expr, cst.Name):
            return expr
        if isinstance(expr, cst.Attribute):
            expr = expr.value
        elif isinstance(expr, cst.Subscript):
            expr = expr.value
        elif isinstance(expr, cst.Call):
            expr = expr.func
        else:
            return None


def string_value(expr: cst.BaseExpression | None) -> str | None:
    """The value of a constant string expression (implicit concatenation included)."""
    if isinstance(expr, cst.SimpleString):
        return _literal_string(expr.value)
    if isinstance(expr, cst.ConcatenatedString):
        left, right = string_value(expr.left), string_value(expr.right)
        return None if left is None or right is None else left + right
    if isinstance(expr, cst.FormattedString) and all(
            isinstance(p, cst.FormattedStringText) for p in expr.parts):
        return "".join(p.value for p in expr.parts)  # type: ignore[union-attr]
    return None


@functools.lru_cache(maxsize=4096)
def _literal_string(text: str) -> str | None:
    try:
        if "\\" in text:
            # An invalid escape (`"\d"`) makes Python warn about the linted code: not ours to print.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = ast.literal_eval(text)
        else:
            value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def leading_text(expr: cst.BaseExpression) -> str:
    """The constant text a string-building expression starts with (for keyword sniffing)."""
    if isinstance(expr, cst.FormattedString):
        out = []
        for part in expr.parts:
            if not isinstance(part, cst.FormattedStringText):
                break
            out.append(part.value)
        return "".join(out)
    if isinstance(expr, cst.ConcatenatedString):
        return leading_text(expr.left) + (leading_text(expr.right) if string_value(expr.left) is not None else "")
    if isinstance(expr, cst.BinaryOperation):
        return leading_text(expr.left)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        if expr.func.attr.value == "format":
            return leading_text(expr.func.value)
        if expr.func.attr.value == "join":
            return ""
    return string_value(expr) or ""


def is_literal(expr: cst.BaseExpression) -> bool:
    """A literal constant (numbers, strings, bytes, None/True/False), containers of literals."""
    if isinstance(expr, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(expr, cst.ConcatenatedString):
        return is_literal(expr.left) and is_literal(expr.right)
    if isinstance(expr, cst.FormattedString):
        return all(isinstance(p, cst.FormattedStringText) for p in expr.parts)
    if isinstance(expr, cst.Name):
        return expr.value in ("None", "True", "False")
    if isinstance(expr, cst.UnaryOperation):
        return is_literal(expr.expression)
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return all(isinstance(e, cst.Element) and is_literal(e.value) for e in expr.elements)
    if isinstance(expr, cst.Dict):
        return all(isinstance(e, cst.DictElement) and is_literal(e.key) and is_literal(e.value)
                   for e in expr.elements)
    return False


def is_constant_collection(expr: cst.BaseExpression) -> bool:
    """A literal list/tuple/set/dict/frozenset(...) of literals, for allow-list tests."""
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
        return is_literal(expr)
    if isinstance(expr, cst.Call) and dotted(expr.func) in ("frozenset", "set", "tuple") and len(expr.args) == 1:
        return is_literal(expr.args[0].value)
    return False


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def argument(call: cst.Call, position: int | None, name: str | None) -> cst.BaseExpression | None:
    """The value passed for a parameter, by keyword or by position (0-based)."""
    if name is not None:
        kw = keyword(call, name)
        if kw is not None:
            return kw.value
    if position is not None:
        i = 0
        for arg in call.args:
            if arg.keyword is not None or arg.star:
                if arg.star == "*":
                    return None  # positions after *args are unknowable
                continue
            if i == position:
                return arg.value
            i += 1
    return None


def positional_count(call: cst.Call) -> int:
    return sum(1 for a in call.args if a.keyword is None and not a.star)


def has_star_kwargs(call: cst.Call) -> bool:
    return any(a.star == "**" for a in call.args)


def has_star_args(call: cst.Call) -> bool:
    return any(a.star == "*" for a in call.args)


def statements(block: cst.BaseSuite | Sequence[cst.CSTNode]) -> Sequence[cst.BaseStatement | cst.BaseSmallStatement]:
    """The statements of a suite, flattening `a; b` simple-statement lines."""
    body = block.body if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite, cst.Module)) else block
    out: list = []
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            out.extend(stmt.body)
        else:
            out.append(stmt)
    return out


_EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit", "os.abort"})


def terminates(block: cst.BaseSuite | None, resolve=None) -> bool:
    """Does control never fall off the end of this block? (raise/return/continue/break/exit)"""
    if block is None:
        return False
    stmts = statements(block)
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (cst.Raise, cst.Return, cst.Continue, cst.Break)):
        return True
    if isinstance(last, cst.Expr) and isinstance(last.value, cst.Call):
        name = dotted(last.value.func)
        if resolve is not None:
            name = resolve(last.value.func) or name
        return name in _EXIT_CALLS or name in ("builtins.exit", "builtins.quit")
    if isinstance(last, cst.If):
        return terminates(last.body, resolve) and _else_terminates(last.orelse, resolve)
    if isinstance(last, cst.Try):
        if last.finalbody is not None and terminates(last.finalbody.body, resolve):
            return True
        body_ok = terminates(last.orelse.body, resolve) if last.orelse else terminates(last.body, resolve)
        return body_ok and all(terminates(h.body, resolve) for h in last.handlers)
    if isinstance(last, cst.With):
        return terminates(last.body, resolve)
    return False


def _else_terminates(orelse: cst.If | cst.Else | None, resolve) -> bool:
    if orelse is None:
        return False
    if isinstance(orelse, cst.If):
        return terminates(orelse.body, resolve) and _else_terminates(orelse.orelse, resolve)
    return terminates(orelse.body, resolve)


_EMPTY_MODULE = cst.Module(body=[])


def code(node: cst.CSTNode, limit: int = 60) -> str:
    """Source text of a node on one line, shortened for messages."""
    text = " ".join(_EMPTY_MODULE.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def call_name(call: cst.Call) -> str:
    """A short human name for a call target: `cursor.execute`, `requests.get`, `print`."""
    return dotted(call.func) or code(call.func, 40)


def iter_names(expr: cst.CSTNode) -> Iterator[cst.Name]:
    """Every Name read in an expression, not descending into lambdas or comprehensions'
    own targets (those are new scopes)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            yield node
            continue
        if isinstance(node, cst.Attribute):
            stack.append(node.value)
            continue
        if isinstance(node, cst.Lambda):
            continue
        if isinstance(node, cst.Arg):
            stack.append(node.value)
            continue
        stack.extend(child_nodes(node))


def target_names(target: cst.BaseExpression) -> list[cst.Name]:
    """Names bound by an assignment target (tuples, lists and starred unpacking)."""
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        out: list[cst.Name] = []
        for el in target.elements:
            out.extend(target_names(el.value))
        return out
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    return []


def assign_targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    """The targets of an assignment statement (`a = b = v`, `a: T = v`, `a += v`); [] otherwise."""
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, (cst.AnnAssign, cst.AugAssign)):
        return [node.target]
    return []
