"""Source positions for the few nodes a file's findings refer to.

libcst's `PositionProvider` records a range for every node of the module (measured: more
than parsing itself on real servers). Findings need a handful, so this runs the same
code generation with a state that counts characters instead of splitting tokens, records
ranges only for the wanted nodes (plus the child nodes libcst derives their syntactic
extent from), and stops as soon as the last wanted node is placed. Ranges are identical to
`PositionProvider`'s; offsets become lines and columns by bisecting the line table.

Scopes (the functions a finding's fingerprint names) are placed on the way, but never keep the
pass going: a scope still open when the last wanted node is placed encloses every node placed
after its start, so its end is left open (None) rather than generated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import libcst as cst

from mcp_lint.analysis.names import original_names
from mcp_lint.model.findings import Span
from mcp_lint.source.lines import LineTable

try:
    from libcst._nodes.internal import CodegenState as _CodegenState
except ImportError:  # pragma: no cover - a libcst without the internal module
    _CodegenState = None  # type: ignore[assignment,misc]



class _AllPlaced(Exception):
    pass


_NOT_RECORDED = nullcontext()  # reusable: the position of most nodes is not asked for


if _CodegenState is not None:
    class _OffsetState(_CodegenState):  # type: ignore[misc,valid-type]
        """Membership is tested by `id()`: libcst nodes hash in Python code, and every node of
        the module passes here twice. `tracked` holds the wanted nodes and the child nodes a
        tracked node or a scope takes its extent from; only the wanted ones keep the pass going."""

        __slots__ = ("offset", "stack", "ranges", "wanted", "tracked", "left", "scopes", "scope_ranges")

        def __init__(self, module: cst.Module, wanted: Iterable[cst.CSTNode],
                     scopes: Iterable[cst.CSTNode] = ()) -> None:
            super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
            self.offset = 0
            self.stack: list[int] = []
            self.ranges: dict[int, tuple[int, int]] = {}  # id(node) -> offsets
            self.wanted = {id(n) for n in wanted}
            self.tracked = set(self.wanted)
            self.left = len(self.wanted)  # wanted nodes not placed yet
            self.scopes = {id(n) for n in scopes}
            self.scope_ranges: dict[int, tuple[int, int | None]] = {}

        def add_indent_tokens(self) -> None:
            for token in self.indent_tokens:
                self.offset += len(token)

        def add_token(self, value: str) -> None:
            self.offset += len(value)

        def before_codegen(self, node: cst.CSTNode) -> None:
            if id(node) in self.tracked:
                self.stack.append(self.offset)

        def after_codegen(self, node: cst.CSTNode) -> None:
            key = id(node)
            if key in self.tracked:
                start = self.stack.pop()
                self.ranges.setdefault(key, (start, self.offset))  # a syntactic position, recorded first, wins
                if key in self.wanted:
                    self.left -= 1
                    if self.left <= 0:
                        raise _AllPlaced

        def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                      end_node: cst.CSTNode | None = None):
            key = id(node)
            if key not in self.tracked and key not in self.scopes:
                return _NOT_RECORDED
            return self._record(key, start_node, end_node)

        @contextmanager
        def _record(self, key: int, start_node: cst.CSTNode | None, end_node: cst.CSTNode | None) -> Iterator[None]:
            for extra in (start_node, end_node):
                if extra is not None:
                    self.tracked.add(id(extra))
            start = self.offset
            scope = key in self.scopes
            if scope:  # a function: from `def` to the end of its body's last statement
                self.scope_ranges[key] = (start, None)
            yield
            end = self.offset
            if start_node is not None:
                start = self.ranges[id(start_node)][0]
            if end_node is not None:
                end = self.ranges[id(end_node)][1]
            if scope:
                self.scope_ranges[key] = (start, end)
            if key in self.tracked:
                self.ranges[key] = (start, end)


    class _RenamedOffsetState(_OffsetState):
        """Offsets in a module whose identifiers were normalised (`names`): a rewritten
        name takes the length of its spelling in the source."""

        __slots__ = ("renamed",)

        def __init__(self, module: cst.Module, wanted: Iterable[cst.CSTNode], scopes: Iterable[cst.CSTNode],
                     renamed: dict[cst.Name, str]) -> None:
            super().__init__(module, wanted, scopes)
            self.renamed = renamed

        def after_codegen(self, node: cst.CSTNode) -> None:
            spelled = self.renamed.get(node)  # type: ignore[call-overload]
            if spelled is not None:
                self.offset += len(spelled) - len(node.value)  # type: ignore[attr-defined]
            super().after_codegen(node)


@dataclass
class Placed:
    """Spans of the wanted nodes; (start, end) offsets of the scopes met on the way, the end None
    for a scope still open when the last wanted node was placed (it encloses the rest)."""

    spans: dict[cst.CSTNode, Span] = field(default_factory=dict)
    scopes: dict[int, tuple[int, int | None]] = field(default_factory=dict)  # by id() of the scope node


def resolve_spans(module: cst.Module, nodes: Iterable[cst.CSTNode], lines: LineTable) -> dict[cst.CSTNode, Span]:
    return place(module, nodes, lines).spans


def place(module: cst.Module, nodes: Iterable[cst.CSTNode], lines: LineTable,
          scopes: Iterable[cst.CSTNode] = ()) -> Placed:
    """One code generation pass that places `nodes` (spans) and, on the way, `scopes`."""
    wanted = list({id(node): node for node in nodes}.values())
    if not wanted:
        return Placed()
    if _CodegenState is None:  # pragma: no cover - fallback for an unexpected libcst layout
        return _place_with_metadata(module, set(wanted), lines, scopes)
    renamed = original_names(module)
    state = (_RenamedOffsetState(module, wanted, scopes, renamed) if renamed
             else _OffsetState(module, wanted, scopes))
    try:
        module._codegen(state)
    except _AllPlaced:
        pass
    ranges = state.ranges
    return Placed({node: lines.span(*ranges[id(node)]) for node in wanted if id(node) in ranges},
                  state.scope_ranges)


def _place_with_metadata(module: cst.Module, wanted: set[cst.CSTNode], lines: LineTable,
                         scopes: Iterable[cst.CSTNode]) -> Placed:  # pragma: no cover
    from libcst.metadata import MetadataWrapper, PositionProvider
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    out = Placed()
    for node in (*wanted, *scopes):
        r = positions.get(node)
        if r is not None:
            start = lines.offset(r.start.line, r.start.column + 1)
            end = lines.offset(r.end.line, r.end.column + 1)
            if node in wanted:
                out.spans[node] = lines.span(start, end)
            else:
                out.scopes[id(node)] = (start, end)
    return out
