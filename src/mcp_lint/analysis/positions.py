"""Source positions for the few nodes a file's findings refer to.

libcst's `PositionProvider` records a range for every node of the module (measured: more
than parsing itself on real servers). Findings need a handful, so this runs the same
code generation with a state that counts characters instead of splitting tokens, records
ranges only for the wanted nodes (plus the child nodes libcst derives their syntactic
extent from), and stops as soon as the last wanted node is placed. Ranges are identical to
`PositionProvider`'s; offsets become lines and columns by bisecting the line table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

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


if _CodegenState is not None:
    class _OffsetState(_CodegenState):  # type: ignore[misc,valid-type]
        __slots__ = ("offset", "stack", "ranges", "wanted", "left")

        def __init__(self, module: cst.Module, wanted: set[cst.CSTNode]) -> None:
            super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
            self.offset = 0
            self.stack: list[int] = []
            self.ranges: dict[cst.CSTNode, tuple[int, int]] = {}
            self.wanted = wanted
            self.left = len(wanted)

        def add_indent_tokens(self) -> None:
            for token in self.indent_tokens:
                self.offset += len(token)

        def add_token(self, value: str) -> None:
            self.offset += len(value)

        def before_codegen(self, node: cst.CSTNode) -> None:
            if node in self.wanted:
                self.stack.append(self.offset)

        def after_codegen(self, node: cst.CSTNode) -> None:
            if node in self.wanted:
                start = self.stack.pop()
                self.ranges.setdefault(node, (start, self.offset))
                self.left -= 1
                if self.left <= 0:
                    raise _AllPlaced

        @contextmanager
        def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                      end_node: cst.CSTNode | None = None) -> Iterator[None]:
            if node not in self.wanted:
                yield
                return
            for extra in (start_node, end_node):
                if extra is not None and extra not in self.wanted:
                    self.wanted.add(extra)
                    self.left += 1
            start = self.offset
            yield
            end = self.offset
            if start_node is not None:
                start = self.ranges[start_node][0]
            if end_node is not None:
                end = self.ranges[end_node][1]
            self.ranges[node] = (start, end)


    class _RenamedOffsetState(_OffsetState):
        """Offsets in a module whose identifiers were normalised (`names`): a rewritten
        name takes the length of its spelling in the source."""

        __slots__ = ("renamed",)

        def __init__(self, module: cst.Module, wanted: set[cst.CSTNode], renamed: dict[cst.Name, str]) -> None:
            super().__init__(module, wanted)
            self.renamed = renamed

        def after_codegen(self, node: cst.CSTNode) -> None:
            spelled = self.renamed.get(node)  # type: ignore[call-overload]
            if spelled is not None:
                self.offset += len(spelled) - len(node.value)  # type: ignore[attr-defined]
            super().after_codegen(node)


def resolve_spans(module: cst.Module, nodes: Iterable[cst.CSTNode], lines: LineTable) -> dict[cst.CSTNode, Span]:
    wanted = set(nodes)
    if not wanted:
        return {}
    if _CodegenState is None:  # pragma: no cover - fallback for an unexpected libcst layout
        from libcst.metadata import MetadataWrapper, PositionProvider
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        out = {}
        for node in wanted:
            r = positions.get(node)
            if r is not None:
                start = lines.offset(r.start.line, r.start.column + 1)
                end = lines.offset(r.end.line, r.end.column + 1)
                out[node] = lines.span(start, end)
        return out
    renamed = original_names(module)
    state = _RenamedOffsetState(module, set(wanted), renamed) if renamed else _OffsetState(module, set(wanted))
    try:
        module._codegen(state)
    except _AllPlaced:
        pass
    return {node: lines.span(*state.ranges[node]) for node in wanted if node in state.ranges}
