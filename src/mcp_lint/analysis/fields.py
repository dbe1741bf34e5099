"""The semantic child fields of each libcst node type, in evaluation order.

libcst's own `children` and visitor machinery rebuild nodes and visit every whitespace
and punctuation node; iterating these fields instead is over an order of magnitude
cheaper. Layout, punctuation, annotations and names that are not reads (attribute names,
keyword names) are never visited. Used by the engine's walk and by every subtree scan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst

# Fields never walked: layout, punctuation, and names that are not reads.
SKIP_FIELDS = frozenset({
    "whitespace", "whitespace_before", "whitespace_after", "whitespace_after_at", "whitespace_after_def",
    "whitespace_after_name", "whitespace_before_params", "whitespace_before_colon", "whitespace_after_colon",
    "whitespace_after_class", "whitespace_after_star", "whitespace_after_param", "whitespace_after_arg",
    "whitespace_after_func", "whitespace_before_args", "whitespace_after_value", "whitespace_between",
    "whitespace_before_as", "whitespace_after_as", "whitespace_after_for", "whitespace_before_in",
    "whitespace_after_in", "whitespace_after_if", "whitespace_before_if", "whitespace_before_else",
    "whitespace_after_else", "whitespace_before_test", "whitespace_after_test", "whitespace_after_while",
    "whitespace_after_with", "whitespace_after_except", "whitespace_after_return", "whitespace_after_raise",
    "whitespace_after_await", "whitespace_after_yield", "whitespace_after_lambda", "whitespace_after_del",
    "whitespace_after_global", "whitespace_after_nonlocal", "whitespace_after_import", "whitespace_before_import",
    "whitespace_after_from", "whitespace_before_from", "whitespace_before_walrus", "whitespace_after_walrus",
    "whitespace_before_expression", "whitespace_after_expression", "whitespace_before_equal",
    "whitespace_after_equal", "whitespace_before_indicator", "whitespace_after_indicator",
    "whitespace_before_value", "whitespace_after_type_parameters", "whitespace_after_assert",
    "whitespace_after_match", "whitespace_after_case", "whitespace_before_case", "whitespace_after_type",
    "leading_whitespace", "trailing_whitespace", "leading_lines", "lines_after_decorators", "header",
    "footer", "indent", "newline", "empty_lines", "first_line", "last_line", "lpar", "rpar", "lbracket",
    "rbracket", "lbrace", "rbrace", "comma", "semicolon", "colon", "dot", "equal", "operator", "star",
    "asynchronous", "annotation", "returns", "attr", "keyword", "type_parameters", "default_indent",
    "default_newline", "encoding", "has_trailing_newline", "relative", "conversion", "start", "end",
    "first_colon", "second_colon", "posonly_ind",
})
ORDER: dict[type, tuple[str, ...]] = {
    cst.Module: ("body",),
    cst.FunctionDef: ("decorators", "params", "body"),
    cst.ClassDef: ("decorators", "bases", "keywords", "body"),
    cst.For: ("iter", "target", "body", "orelse"),
    cst.CompFor: ("iter", "target", "ifs", "inner_for_in"),
    cst.ListComp: ("for_in", "elt"),
    cst.SetComp: ("for_in", "elt"),
    cst.GeneratorExp: ("for_in", "elt"),
    cst.DictComp: ("for_in", "key", "value"),
    cst.Assign: ("value", "targets"),
    cst.AugAssign: ("value", "target"),
    cst.AnnAssign: ("value", "target"),
    cst.NamedExpr: ("value", "target"),
    cst.Param: ("default",),
    cst.Import: (),
    cst.ImportFrom: (),
    cst.Global: (),
    cst.Nonlocal: (),
    cst.AsName: (),
    cst.ExceptHandler: ("type", "body"),
    cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
}
_FIELDS: dict[type, tuple[str, ...]] = {}


def fields(tp: type) -> tuple[str, ...]:
    names = _FIELDS.get(tp)
    if names is None:
        names = ORDER[tp] if tp in ORDER else tuple(
            f.name for f in dataclasses.fields(tp) if f.name not in SKIP_FIELDS)
        _FIELDS[tp] = names
    return names




_IS_NODE: dict[type, bool] = {}


def is_node(tp: type) -> bool:
    """`issubclass(tp, CSTNode)`, cached: CSTNode is an ABC, whose checks are slow."""
    known = _IS_NODE.get(tp)
    if known is None:
        known = _IS_NODE[tp] = isinstance(tp, type) and issubclass(tp, cst.CSTNode)
    return known


def child_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The semantic children of a node."""
    for name in fields(type(node)):
        value = getattr(node, name, None)
        tp = type(value)
        if tp is tuple or tp is list:
            for child in value:
                if is_node(type(child)):
                    yield child
        elif is_node(tp):
            yield value


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every semantic node of a subtree, the root included (depth first)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(child_nodes(current))
