"""Plain JSON for findings, file results and per-file facts (the findings cache and the
compiled-pack cache). Containers are tagged so that tuples, sets and non-string keys come back
as they were; objects are rebuilt only from an allow-list of classes, never by pickle, so a
cache file someone else wrote can at worst describe wrong data, never run code."""

from __future__ import annotations

import dataclasses
import types
from enum import Enum
from typing import Any

from mcp_lint.model.findings import Applicability, Confidence, Edit, FileResult, Finding, Fix, Severity, Span, TraceStep


# -- findings --------------------------------------------------------------------

def encodeencode_span(s: Span) -> list[int]:
    return [s.start_line, s.start_col, s.end_line, s.end_col, s.start_offset, s.end_offset]


def encode_span(s: Span) -> list[int]:
    return [s.start_line, s.start_col, s.end_line, s.end_col, s.start_offset, s.end_offset]


def decode_span(v: list) -> Span:
    return Span(*(int(x) for x in v[:6]))


def encode_finding(f: Finding) -> list:
    fix = None if f.fix is None else [f.fix.description, [[encode_span(e.span), e.content] for e in f.fix.edits],
                                      f.fix.applicability.value]
    return [f.rule_id, f.rule_name, f.severity.value, f.confidence.value, encode_span(f.span), f.message,
            [[encode_span(t.span), t.message, *([t.path] if t.path else [])] for t in f.trace], fix,
            f.statement_line, f.fingerprint]


def decode_finding(path: str, v: list) -> Finding:
    rule_id, rule_name, severity, confidence, span, message, trace, fix, statement_line, fp = v
    return Finding(
        rule_id=str(rule_id), rule_name=str(rule_name), severity=Severity(severity),
        confidence=Confidence(confidence), path=path, span=decode_span(span), message=str(message),
        trace=tuple(TraceStep(decode_span(t[0]), str(t[1]), str(t[2]) if len(t) > 2 else "") for t in trace),
        fix=None if fix is None else Fix(str(fix[0]), tuple(Edit(decode_span(s), str(c)) for s, c in fix[1]),
                                         Applicability(fix[2])),
        statement_line=int(statement_line), fingerprint=str(fp),
    )


# Per-file facts a project-wide rule gathers (FileResult.facts where it exists: plain data) are
# kept with tagged containers, so tuples, sets and non-string keys come back as they were.

def to_json(value: Any, objects: bool = False) -> Any:
    """Plain data -> JSON with tagged containers. With `objects`, also dataclass instances, enum
    members and read-only mappings (compiled rule packs), by class name."""
    if value is None or isinstance(value, (bool, int, float, str)):
        if objects and isinstance(value, Enum):
            return {"e": [type(value).__name__, value.value]}
        return value
    if isinstance(value, list):
        return [to_json(v, objects) for v in value]
    if isinstance(value, tuple):
        return {"t": [to_json(v, objects) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"s" if isinstance(value, set) else "f": [to_json(v, objects) for v in sorted(value, key=repr)]}
    if isinstance(value, dict):
        return {"m": [[to_json(k, objects), to_json(v, objects)] for k, v in value.items()]}
    if objects and isinstance(value, types.MappingProxyType):
        return {"p": [[to_json(k, objects), to_json(v, objects)] for k, v in value.items()]}
    if objects and isinstance(value, Enum):
        return {"e": [type(value).__name__, value.value]}
    if objects and dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"c": [type(value).__name__, {f.name: to_json(getattr(value, f.name), objects)
                                             for f in dataclasses.fields(value)}]}
    raise TypeError(f"no plain form for {type(value).__name__}")


def from_json(value: Any, classes: dict[str, type] | None = None) -> Any:
    """The inverse of `to_json`; objects are built only from `classes` (an allow-list)."""
    if isinstance(value, list):
        return [from_json(v, classes) for v in value]
    if isinstance(value, dict):
        ((tag, items),) = value.items()
        if tag == "t":
            return tuple(from_json(v, classes) for v in items)
        if tag == "s":
            return {from_json(v, classes) for v in items}
        if tag == "f":
            return frozenset(from_json(v, classes) for v in items)
        if tag == "m":
            return {from_json(k, classes): from_json(v, classes) for k, v in items}
        if classes is not None and tag == "p":
            return types.MappingProxyType({from_json(k, classes): from_json(v, classes) for k, v in items})
        if classes is not None and tag == "e":
            return classes[items[0]](items[1])
        if classes is not None and tag == "c":
            return classes[items[0]](**{k: from_json(v, classes) for k, v in items[1].items()})
        raise ValueError(f"unknown tag {tag!r}")
    return value


def encode_result(result: FileResult) -> list:
    return [[encode_finding(f) for f in result.findings], to_json(dict(result.facts))]


def decode_result(path: str, findings: list, facts: Any) -> FileResult:
    facts = from_json(facts)
    if not isinstance(facts, dict):
        raise ValueError("facts must be a mapping")
    return FileResult(path, findings=[decode_finding(path, v) for v in findings], facts=facts)
