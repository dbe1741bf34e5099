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


def load(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _convert(node, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(f"invalid YAML: {exc.problem or exc}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", None) from None
    finally:
        loader.dispose()


def _convert(node: yaml.Node, loader: Any) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = LMap()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, loader)
            if not isinstance(key, (str, int, bool)) or key is None:
                raise YamlError(f"mapping keys must be scalars, got {key!r}", key_node.start_mark.line + 1)
            if key in out:
                raise YamlError(f"duplicate key '{key}'", key_node.start_mark.line + 1)
            out[key] = _convert(value_node, loader)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList()
        seq.line = node.start_mark.line + 1
        seq.item_lines = []
        for item in node.value:
            seq.append(_convert(item, loader))
            seq.item_lines.append(item.start_mark.line + 1)
        return seq
    return loader.construct_object(node, deep=True)
