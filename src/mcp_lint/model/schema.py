"""A tiny declarative validator for rule packs, primitive parameters and configuration.

Values arrive either from YAML (with line numbers, see `yamlload`) or from TOML (without).
Every error names where it is (`rules[2].check.calls[0]`) and, when known, the line, so a
malformed pack or config exits 2 with `file:line: what is wrong`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mcp_lint.model.regex import check_regex


class SchemaError(Exception):
    def __init__(self, where: str, message: str, line: int | None = None) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.detail = message
        self.line = line


class SchemaErrors(SchemaError):
    """Every problem found in one value: `errors` holds them all, in document order; the
    message, path and line are the first one's (what a caller wanting one problem shows)."""

    def __init__(self, errors: list[SchemaError]) -> None:
        first = errors[0]
        super().__init__(first.where, first.detail, first.line)
        self.errors = errors


def all_errors(exc: SchemaError) -> list[SchemaError]:
    return list(exc.errors) if isinstance(exc, SchemaErrors) else [exc]


def raise_all(errors: list[SchemaError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SchemaErrors(errors)


@dataclass(frozen=True)
class Where:
    """The position of a value: a dotted path for messages plus the source line if known."""

    path: str = ""
    line: int | None = None

    def key(self, name: str, line: int | None) -> Where:
        return Where(f"{self.path}.{name}" if self.path else name, line or self.line)

    def index(self, i: int, line: int | None) -> Where:
        return Where(f"{self.path}[{i}]", line or self.line)

    def error(self, message: str) -> SchemaError:
        return SchemaError(self.path, message, self.line)


def _lines_of(value: Any) -> tuple[dict, list]:
    """Key and item lines recorded by the YAML loader (empty for TOML values)."""
    return getattr(value, "key_lines", {}), getattr(value, "item_lines", [])


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), "a mapping" if isinstance(value, Mapping) else "a list" if isinstance(value, list) else type(value).__name__
    )


class Field:
    description = ""

    def validate(self, value: Any, where: Where) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


class Str(Field):
    def __init__(self, choices: tuple[str, ...] = (), pattern: str | None = None, nonempty: bool = True) -> None:
        self.choices = choices
        self.pattern = re.compile(pattern) if pattern else None
        self.nonempty = nonempty

    def validate(self, value: Any, where: Where) -> str:
        if not isinstance(value, str):
            raise where.error(f"expected a string, got {_type_name(value)}")
        if self.nonempty and not value.strip():
            raise where.error("must not be empty")
        if self.choices and value not in self.choices:
            hint = difflib.get_close_matches(value, self.choices, n=1)
            suffix = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise where.error(f"'{value}' is not one of: {', '.join(self.choices)}{suffix}")
        if self.pattern and not self.pattern.fullmatch(value):
            raise where.error(f"'{value}' does not match {self.pattern.pattern}")
        return value


class Regex(Str):
    """A regular expression from a pack: compiled here, and refused when it can backtrack for
    ever (see `regex.check_regex`); primitives compile it with `regex.pack_regex`."""

    def __init__(self, flags: int = 0) -> None:
        super().__init__()
        self.flags = flags

    def validate(self, value: Any, where: Where) -> str:
        value = super().validate(value, where)
        problem = check_regex(value, self.flags).problem
        if problem is not None:
            raise where.error(problem)
        return value


class Bool(Field):
    def validate(self, value: Any, where: Where) -> bool:
        if not isinstance(value, bool):
            raise where.error(f"expected true or false, got {_type_name(value)}")
        return value


class Int(Field):
    def __init__(self, minimum: int | None = None, maximum: int | None = None) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def validate(self, value: Any, where: Where) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise where.error(f"expected an integer, got {_type_name(value)}")
        if self.minimum is not None and value < self.minimum:
            raise where.error(f"must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise where.error(f"must be at most {self.maximum:,}")
        return value


class Number(Field):
    """An int or float in (low, high]."""

    def __init__(self, low: float, high: float) -> None:
        self.low = low
        self.high = high

    def validate(self, value: Any, where: Where) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise where.error(f"expected a number, got {_type_name(value)}")
        if not self.low < value <= self.high:
            raise where.error(f"must be more than {self.low} and at most {self.high}")
        return float(value)


class Any_(Field):
    """Any scalar (used for literal values such as `value: null` in a call condition)."""

    def validate(self, value: Any, where: Where) -> Any:
        if isinstance(value, (Mapping, list)):
            raise where.error(f"expected a scalar, got {_type_name(value)}")
        return value


class List(Field):
    def __init__(self, item: Field, min_items: int = 0, single_ok: bool = False) -> None:
        self.item = item
        self.min_items = min_items
        self.single_ok = single_ok  # accept `x` as shorthand for `[x]`

    def validate(self, value: Any, where: Where) -> tuple:
        if not isinstance(value, list):
            if self.single_ok and not isinstance(value, Mapping):
                value = [value]
            else:
                raise where.error(f"expected a list, got {_type_name(value)}")
        _, item_lines = _lines_of(value)
        out = []
        errors: list[SchemaError] = []
        for i, item in enumerate(value):
            line = item_lines[i] if i < len(item_lines) else None
            try:
                out.append(self.item.validate(item, where.index(i, line)))
            except SchemaError as exc:  # go on: every problem of a value is reported at once
                errors += all_errors(exc)
        if len(value) < self.min_items:
            errors.append(where.error(f"needs at least {self.min_items} item(s)"))
        raise_all(errors)
        return tuple(out)


@dataclass(frozen=True)
class Key:
    field: Field
    required: bool = False
    default: Any = None


class Map(Field):
    """A mapping with known keys. Unknown keys are errors, with a did-you-mean hint."""

    def __init__(self, keys: Mapping[str, Key], extra: Field | None = None,
                 check: Callable[[dict, Where], None] | None = None) -> None:
        self.keys = dict(keys)
        self.extra = extra  # validator for keys not in `keys` (None: unknown keys are errors)
        self.check = check  # cross-field validation after the keys are validated

    def validate(self, value: Any, where: Where) -> dict:
        if not isinstance(value, Mapping):
            raise where.error(f"expected a mapping, got {_type_name(value)}")
        key_lines, _ = _lines_of(value)
        out: dict[str, Any] = {}
        errors: list[SchemaError] = []
        meant: set[str] = set()  # keys a misspelt key was taken for: not reported missing as well
        for k, v in value.items():
            sub = where.key(str(k), key_lines.get(k))
            spec = self.keys.get(k)
            try:
                if spec is not None:
                    out[k] = spec.field.validate(v, sub)
                elif self.extra is not None:
                    out[k] = self.extra.validate(v, sub)
                else:
                    hint = difflib.get_close_matches(str(k), list(self.keys), n=1)
                    meant.update(hint)
                    suffix = f" (did you mean '{hint[0]}'?)" if hint else f" (expected one of: {', '.join(self.keys)})"
                    raise sub.error(f"unknown key '{k}'{suffix}")
            except SchemaError as exc:  # go on: every problem of a value is reported at once
                errors += all_errors(exc)
        for k, spec in self.keys.items():
            if k not in value:
                if spec.required and k not in meant:
                    errors.append(where.error(f"missing required key '{k}'"))
                out[k] = spec.default
        raise_all(errors)
        if self.check:
            self.check(out, where)
        return out


class OneOf(Field):
    """The first alternative that accepts the value wins (e.g. a string or a mapping)."""

    def __init__(self, *alternatives: Field, description: str) -> None:
        self.alternatives = alternatives
        self.description = description

    def validate(self, value: Any, where: Where) -> Any:
        errors = []
        for alt in self.alternatives:
            try:
                return alt.validate(value, where)
            except SchemaError as exc:
                errors.append(exc)
        # Report the deepest error: it is the one closest to what the author meant.
        best = max(errors, key=lambda e: len(e.where))
        if best.where != where.path:
            raise best
        raise where.error(f"expected {self.description}")
