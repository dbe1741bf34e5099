"""YAML -> plain Python values that remember their source lines.

Only the safe loader is used (`yaml.SafeLoader`, or its C twin): no tags, no objects. The
composed node tree is converted by hand so that every mapping key and list item keeps the
line it came from, and duplicate keys are rejected instead of silently overwritten.
"""

from __future__ import annotations

from typing import Any

import yaml

try:  # libyaml is several times faster when present; same safe semantics
    _Loader = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader


class YamlError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class LMap(dict):
    """A dict with the 1-based line of itself and of each key."""

    line: int
    key_lines: dict


class LList(list):
    """A list with the 1-based line of itself and of each item."""

    line: int
    item_lines: list


# Aliases can make a short document expand exponentially ("billion laughs"), or refer to
# themselves; nesting can exhaust the stack. Rule packs need none of that.
MAX_VALUES = 100_000
MAX_DEPTH = 64


def load(text: str) -> Any:
    try:
        return _load(text, _Loader, check_depth=False)
    except YamlError:
        if _Loader is yaml.SafeLoader:
            raise
    # The fast parser refused the document: parse it again with the pure-Python one, which
    # streams events lazily, so our own depth limit and messages apply whatever libyaml's
    # version enforces (its limits and wording change between releases).
    return _load(text, yaml.SafeLoader, check_depth=True)


def _load(text: str, loader_class: Any, check_depth: bool) -> Any:
    loader = None
    try:
        loader = loader_class(text)
        if check_depth:
            _check_depth(text)
        node = loader.get_single_node()
        return None if node is None else _Converter(loader).convert(node, 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = f"invalid YAML: {exc.problem or exc}"
        if mark is not None and text[mark.index:mark.index + 1] == "\t":
            problem += " (a tab: YAML indents with spaces)"
        raise YamlError(problem, mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a NUL byte...)
        line = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        raise YamlError(f"invalid YAML: {exc.reason}: character {exc.character!r}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", None) from None
    except RecursionError:
        raise YamlError(f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)", None) from None
    finally:
        if loader is not None:
            loader.dispose()


def _check_depth(text: str) -> None:
    """Refuse deep nesting from the event stream, before any node is composed: our own limit,
    checked the same way whichever parser (and whichever parser's own limit) is installed."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(f"nested more than {MAX_DEPTH} levels deep", event.start_mark.line + 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


class _Converter:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.values = 0
        self.open: set[int] = set()  # nodes being converted: one met again is a recursive alias

    def convert(self, node: yaml.Node, depth: int) -> Any:
        line = node.start_mark.line + 1
        self.values += 1
        if self.values > MAX_VALUES:
            raise YamlError(f"the document expands to more than {MAX_VALUES} values (aliases?)", line)
        if depth > MAX_DEPTH:
            raise YamlError(f"nested more than {MAX_DEPTH} levels deep", line)
        if id(node) in self.open:
            raise YamlError("an alias refers to the value that contains it", line)
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            return self.loader.construct_object(node, deep=True)
        self.open.add(id(node))
        try:
            return _convert(node, self, depth + 1)
        finally:
            self.open.discard(id(node))


def _convert(node: yaml.Node, conv: _Converter, depth: int) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = LMap()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = conv.convert(key_node, depth)
            if not isinstance(key, (str, int, bool)) or key is None:
                raise YamlError(f"mapping keys must be scalars, got {key!r}", key_node.start_mark.line + 1)
            if key in out:
                raise YamlError(f"duplicate key '{key}'", key_node.start_mark.line + 1)
            out[key] = conv.convert(value_node, depth)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList()
        seq.line = node.start_mark.line + 1
        seq.item_lines = []
        for item in node.value:
            seq.append(conv.convert(item, depth))
            seq.item_lines.append(item.start_mark.line + 1)
        return seq
    raise AssertionError(node)
