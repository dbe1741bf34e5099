"""YAML -> plain Python values that remember their source lines.

Only the safe parser is used (`yaml.SafeLoader`, or its C twin), and only for its events: the
values are built here, in one pass, so that every mapping key and list item keeps the line it
came from, duplicate keys are rejected instead of silently overwritten, and every limit below is
checked as the document streams in, before anything is built from the part beyond it:

- plain YAML only: no tags but the standard scalar ones (a `!!python/object` is refused);
- at most `MAX_VALUES` values, nested at most `MAX_DEPTH` deep;
- aliases may expand to at most `MAX_ALIAS_VALUES` values in all ("billion laughs"), and may not
  refer to the value that contains them (an alias is the same object, never a copy);
- no number longer than `MAX_NUMBER_CHARS` characters (arbitrary-precision arithmetic).
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


MAX_VALUES = 500_000  # scalars, mappings, lists and aliases in one document
MAX_ALIAS_VALUES = 100_000  # values aliases stand for, in all
MAX_DEPTH = 64
# A number is constructed by arbitrary-precision arithmetic (quadratic for `1:59:59:...`, the
# YAML 1.1 base-60 form): no pack needs a number this long.
MAX_NUMBER_CHARS = 100

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NUMBERS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_SCALARS = frozenset({_STR, "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:binary",
                      "tag:yaml.org,2002:timestamp"}) | _NUMBERS


def load(text: str) -> Any:
    # Our limits are checked on the parser's events as they come, before libyaml's own (which
    # change between its releases) can apply: the fast parser is enough, and a document it
    # refuses is never parsed a second time.
    return _load(text, _Loader)


def _load(text: str, loader_class: Any) -> Any:
    loader = None
    try:
        loader = loader_class(text)
        return _Builder(loader).document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = f"invalid YAML: {exc.problem or exc}"
        if "nesting" in str(exc.problem):  # libyaml's own limit, met while it scans ahead of our check
            problem = f"nested more than {MAX_DEPTH} levels deep"
        if mark is not None and text[mark.index:mark.index + 1] == "\t":
            problem += " (a tab: YAML indents with spaces)"
        raise YamlError(problem, mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a NUL byte...)
        line = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        raise YamlError(f"invalid YAML: {exc.reason}: character {exc.character!r}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", None) from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise YamlError(f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)", None) from None
    finally:
        if loader is not None:
            loader.dispose()


class _Open:
    """A mapping or list being built."""

    __slots__ = ("value", "anchor", "key", "key_line", "size")

    def __init__(self, value: LMap | LList, anchor: str | None) -> None:
        self.value = value
        self.anchor = anchor
        self.key: Any = _NO_KEY  # a mapping's key waiting for its value
        self.key_line = 0
        self.size = 1  # values in it, aliases expanded (what an alias to it stands for)


_NO_KEY = object()


class _Builder:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.values = 0
        self.expanded = 0
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, values it stands for)
        self.open_anchors: set[str] = set()
        self.stack: list[_Open] = []

    def document(self) -> Any:
        loader = self.loader
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            loader.get_event()
            return None
        loader.get_event()  # DocumentStart
        result = self.node()
        loader.get_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise YamlError("expected a single document in the stream, but found another document",
                            event.start_mark.line + 1)
        loader.get_event()
        return result

    def node(self) -> Any:
        """The value starting at the next event (read to its end, iteratively)."""
        loader = self.loader
        stack = self.stack
        base = len(stack)
        while True:
            event = loader.get_event()
            line = event.start_mark.line + 1
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                done = stack.pop()
                if done.anchor is not None:
                    self.open_anchors.discard(done.anchor)
                    self.anchors[done.anchor] = (done.value, done.size)
                value, size = done.value, done.size
                line = done.value.line  # where the finished mapping or list started
            else:
                self.values += 1
                if self.values > MAX_VALUES:
                    raise YamlError(f"more than {MAX_VALUES:,} values", line)
                if isinstance(event, yaml.AliasEvent):
                    value, size = self._alias(event, line)
                elif isinstance(event, yaml.ScalarEvent):
                    value, size = self._scalar(event, line), 1
                    if event.anchor is not None:
                        self.anchors[event.anchor] = (value, 1)
                elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    mapping = isinstance(event, yaml.MappingStartEvent)
                    if event.tag not in (None, "!", _MAP if mapping else _SEQ):
                        raise YamlError(f"tag '{event.tag}' is not allowed (rule packs are plain YAML)", line)
                    if len(stack) - base >= MAX_DEPTH:
                        raise YamlError(f"nested more than {MAX_DEPTH} levels deep", line)
                    new: LMap | LList = LMap() if mapping else LList()
                    new.line = line
                    if mapping:
                        new.key_lines = {}  # type: ignore[union-attr]
                    else:
                        new.item_lines = []  # type: ignore[union-attr]
                    if event.anchor is not None:
                        self.open_anchors.add(event.anchor)
                    stack.append(_Open(new, event.anchor))
                    continue
                else:  # pragma: no cover - the parser yields no other event inside a document
                    raise YamlError(f"unexpected YAML event {type(event).__name__}", line)
            if len(stack) == base:
                return value
            self._add(stack[-1], value, size, line)

    def _add(self, parent: _Open, value: Any, size: int, line: int) -> None:
        parent.size += size
        container = parent.value
        if isinstance(container, LList):
            container.append(value)
            container.item_lines.append(line)
        elif parent.key is _NO_KEY:
            if isinstance(value, (dict, list)) or not isinstance(value, (str, int, bool)):
                raise YamlError(f"mapping keys must be scalars, got {_shown(value)}", line)
            if value in container:
                raise YamlError(f"duplicate key '{value}'", line)
            parent.key, parent.key_line = value, line
        else:
            container[parent.key] = value
            container.key_lines[parent.key] = parent.key_line
            parent.key = _NO_KEY

    def _alias(self, event: Any, line: int) -> tuple[Any, int]:
        if event.anchor in self.open_anchors:
            raise YamlError("an alias refers to the value that contains it", line)
        found = self.anchors.get(event.anchor)
        if found is None:
            raise YamlError(f"found undefined alias '{event.anchor}'", line)
        value, size = found
        self.expanded += size
        if self.expanded > MAX_ALIAS_VALUES:
            raise YamlError(f"aliases expand to more than {MAX_ALIAS_VALUES:,} values", line)
        return value, size

    def _scalar(self, event: Any, line: int) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR:
            return event.value
        if tag not in _SCALARS:
            raise YamlError(f"tag '{tag}' is not allowed (rule packs are plain YAML)", line)
        if tag in _NUMBERS and len(event.value) > MAX_NUMBER_CHARS:
            raise YamlError(f"a number longer than {MAX_NUMBER_CHARS} characters", line)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, OverflowError, TypeError) as exc:
            raise YamlError(f"invalid YAML value: {exc}", line) from None


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)[:60]
