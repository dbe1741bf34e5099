"""Flows across modules: the project join of the per-file flow facts (check/flow_facts.py).

Each file was linted alone and said what crosses its boundary: calls into other modules with
the tool input they carry, sinks that parameters of its exported functions reach, summaries of
what those functions return and validate, and findings that stand on values which went through
calls into other modules. Joined here, over the whole project, without parsing anything again:

- a tool in module A passes input to `helpers.run(sql)` in B, whose parameter reaches
  `cursor.execute` (possibly through C): a finding at the sink in B, whose trace starts at the
  tool in A (each step with its file);
- a finding in A whose value went through `quoting.ident(name)` of module B, which returns its
  argument sanitized for that kind of sink (or validates it and raises): the finding is dropped;
- a finding on a parameter of a function other modules call, where every caller in the project
  passes a safe value: dropped.

Chains are followed to a bounded depth; summaries are what each module computed for itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp_lint.check.factory import FindingFactory, render_message
from mcp_lint.check.suppress import SuppressionPass
from mcp_lint.model.codec import decode_span
from mcp_lint.model.findings import Confidence, FileResult, Finding, TraceStep
from mcp_lint.model.rules import Rule
from mcp_lint.source.lines import LineTable
from mcp_lint.source.read import decode

KEY = "flows"
MAX_DEPTH = 4
MAX_PER_PARAM = 32
ACROSS = " (across modules)"


@dataclass(frozen=True)
class _Sink:
    path: str  # absolute path of the file holding the sink
    rule: str
    data: Mapping[str, Any]
    prefix: tuple[TraceStep, ...] = ()  # steps from the parameter to the sink's function, in other files

    @property
    def direct(self) -> bool:
        """From the parameter to the sink without a call to a function of the project on the way."""
        return not any(str(t).startswith(_HELPER_STEPS) for _, t in self.data.get("steps") or ()) and \
            not any(s.message.startswith(_HELPER_STEPS) for s in self.prefix)


# Trace steps that mean the value is what a function of the project returned (whose checks may
# not be modelled): flows across modules through them are not reported.
_HELPER_STEPS = ("passed through",)


@dataclass
class Joined:
    findings: dict[str, list[Finding]]  # absolute path -> new findings (paths as shown)
    dropped: set[tuple[str, str]]  # (absolute path, fingerprint) of findings refuted by other modules


def join(results: Sequence[tuple[Any, FileResult]], rules: Iterable[Rule], known_codes: Iterable[str]) -> Joined:
    """`results`: (file with `.path` and `.shown`, its result) for every file of the run."""
    facts = {str(item.path): result.facts.get(KEY) for item, result in results if result.facts.get(KEY)}
    out = Joined({}, set())
    if not facts:
        return out
    rules = {r.id: r for r in rules}
    accepted = {rid: frozenset(r.params.get("sanitizers", ()) or ()) | {"all"} for rid, r in rules.items()}
    shown = {str(item.path): item.shown for item, _ in results}
    summaries = {f"{path}::{name}": s for path, f in facts.items() for name, s in (f.get("summaries") or {}).items()}
    called = {key for f in facts.values() for key in f.get("called") or ()}
    calls = [(path, call) for path, f in facts.items() for call in f.get("calls") or ()]

    def param_of(key: str, where: int | str) -> str | None:
        summary = summaries.get(key)
        if summary is None:
            return None
        if isinstance(where, str):
            return where
        params = list(summary.get("params") or ())
        if summary.get("bound") and params and params[0] in ("self", "cls"):
            params = params[1:]
        return params[where] if 0 <= where < len(params) else None

    # -- findings refuted by what other modules do -----------------------------------------
    def refuted(entry: Sequence, rule_id: str) -> bool:
        key, where, mode = entry
        kinds = accepted.get(rule_id, frozenset({"all"}))
        if mode == "callers":
            return key in called and not unsafe_callers.get((key, str(where), rule_id))
        summary = summaries.get(key)
        param = param_of(key, where)
        if summary is None or param is None:
            return False
        if mode == "return":
            returned = summary.get("returns", {}).get(param)
            return returned is not None and bool(set(returned) & kinds)
        if mode == "guard":
            return bool(set(summary.get("validates", {}).get(param) or ()) & kinds)
        return False

    def unsafe(origin: Mapping[str, Any], rule_id: str) -> bool:
        """Does this origin carry unsanitized input to a sink of `rule_id`? Not when a sanitizer
        the rule accepts was applied, or a call it went through sanitizes or validates it."""
        if set(origin.get("sanitizers") or ()) & accepted.get(rule_id, frozenset({"all"})):
            return False
        return not any(refuted(t, rule_id) for t in origin.get("through") or () if t[2] != "callers")

    def direct(origin: Mapping[str, Any]) -> bool:
        """A flow into another module is reported only when it is direct: the value reached the call
        without going through a function of the project (a check this analysis may not model)."""
        return not origin.get("through") and not any(str(t).startswith(_HELPER_STEPS)
                                                     for _, t in origin.get("steps") or ())

    unsafe_callers: dict[tuple[str, str, str], bool] = {}
    for path, call in calls:
        param = param_of(call["target"], call["where"])
        if param is None:
            continue
        for rid in accepted:
            if any(unsafe(o, rid) for o in call["origins"]):
                unsafe_callers[(call["target"], param, rid)] = True

    conditional: dict[str, dict[str, list]] = {}
    for item, result in results:
        conditions = (result.facts.get(KEY) or {}).get("conditions") or {}
        conditional[str(item.path)] = conditions
        for finding in result.findings:
            origins = conditions.get(finding.fingerprint)
            if origins and all(any(refuted(e, finding.rule_id) for e in entries) for entries in origins):
                out.dropped.add((str(item.path), finding.fingerprint))

    # -- sinks reached from other modules ----------------------------------------------------
    reach: dict[tuple[str, str], list[_Sink]] = {}
    for path, f in facts.items():
        for sink in f.get("sinks") or ():
            reach.setdefault((f"{path}::{sink['function']}", sink["param"]), []).append(
                _Sink(path, sink["rule"], sink))
    edges: list[tuple[tuple[str, str], tuple[str, str], tuple[TraceStep, ...]]] = []
    for path, call in calls:
        param = param_of(call["target"], call["where"])
        if param is None:
            continue
        for o in call["origins"]:
            if o.get("kind") == "param" and o.get("function"):
                edges.append(((f"{path}::{o['function']}", o["param"]), (call["target"], param),
                              _steps(o, shown.get(path, path)) + (_call_step(call, param, shown.get(path, path)),)))
    for _ in range(MAX_DEPTH):  # a parameter handed on to another module's function reaches its sinks too
        grown = False
        for source, target, steps in edges:
            for sink in list(reach.get(target, ())):
                derived = _Sink(sink.path, sink.rule, sink.data, steps + sink.prefix)
                bucket = reach.setdefault(source, [])
                if len(bucket) < MAX_PER_PARAM and not any(s.path == derived.path and s.rule == derived.rule and
                                                           s.data is derived.data for s in bucket):
                    bucket.append(derived)
                    grown = True
        if not grown:
            break

    existing = {str(item.path): {(f.rule_id, f.span.start_offset, f.span.end_offset): f for f in result.findings}
                for item, result in results}
    made: dict[str, list[tuple[Rule, dict, tuple[TraceStep, ...], Any]]] = {}
    for path, call in calls:
        param = param_of(call["target"], call["where"])
        if param is None:
            continue
        for o in call["origins"]:
            if o.get("kind") != "tool" or not direct(o):
                continue
            for sink in reach.get((call["target"], param), ()):
                if not sink.direct:
                    continue
                rule = rules.get(sink.rule)
                if rule is None or not unsafe(o, sink.rule):
                    continue
                span = decode_span(sink.data["span"])
                local = existing.get(sink.path, {}).get((sink.rule, span.start_offset, span.end_offset))
                if local is not None:
                    entries = conditional.get(sink.path, {}).get(local.fingerprint) or ()
                    if not any(e[2] == "callers" for origin in entries for e in origin):
                        continue  # the sink's own module reports it from its own tool input
                    out.dropped.add((sink.path, local.fingerprint))  # reported with its tool input instead
                caller = shown.get(path, path)
                steps = _steps(o, caller) + (_call_step(call, param, caller),) + sink.prefix + tuple(
                    TraceStep(decode_span(s), str(t), shown.get(sink.path, sink.path)) for s, t in sink.data["steps"][1:])
                made.setdefault(sink.path, []).append((rule, sink.data, steps, o))
    suppression = SuppressionPass(rules.values(), known_codes, None)
    for path, found in made.items():
        # one finding per sink: the first flow (by the caller's file and line) shows the way
        first: dict[tuple, tuple] = {}
        for entry in sorted(found, key=lambda e: (e[2][0].file("") if e[2] else "", e[2][0].span.start_offset
                                                  if e[2] else 0)):
            span = decode_span(entry[1]["span"])
            first.setdefault((entry[0].id, span.start_offset, span.end_offset), entry)
        out.findings[path] = _materialise(path, shown.get(path, path), list(first.values()), suppression)
    return out


def _steps(origin: Mapping[str, Any], shown: str) -> tuple[TraceStep, ...]:
    return tuple(TraceStep(decode_span(s), str(t), shown) for s, t in origin.get("steps") or ())


def _call_step(call: Mapping[str, Any], param: str, shown: str) -> TraceStep:
    name = call["target"].rpartition("::")[2]
    return TraceStep(decode_span(call["span"]), f"passed to `{name}()` as `{param}`", shown)


def _materialise(path: str, shown: str, found: list, suppression: SuppressionPass) -> list[Finding]:
    """Findings in the file at `path`, with its own suppression comments applied. Each has low
    confidence: across modules the flow is joined from summaries, which do not see every check a
    project writes (a method, a class, a check of a derived value); measured on published servers,
    most such findings are checked elsewhere or are what the tool is for."""
    try:
        text, _, _ = decode(Path(path).read_bytes())
    except OSError:
        text = None
    factory = FindingFactory(shown)
    findings = []
    for rule, data, steps, origin in sorted(found, key=lambda f: (decode_span(f[1]["span"]).start_offset, f[0].id)):
        fields = dict(data.get("fields") or {})
        fields["source"] = origin.get("label", fields.get("source", ""))
        span = decode_span(data["span"])
        finding = factory.make(rule, span, render_message(rule, fields), anchor=str(data.get("anchor", "")),
                               scope=str(data.get("function", "")) + ACROSS,
                               statement_line=int(data.get("statement_line") or span.start_line),
                               trace=tuple(steps), confidence=Confidence.LOW)
        if finding is not None:
            findings.append(finding)
    if text is not None and findings:
        lines = LineTable(text)
        findings = suppression.apply(findings, text, lines, factory)
    return findings
