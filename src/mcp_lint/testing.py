"""Rule examples as tests: every INVALID example must fire exactly on its expected lines,
every VALID look-alike must stay silent. Used by the test-suite (one pytest case per
example, ids like `MCP101-invalid-0`) and by `mcp-lint test-rules` for custom packs.

Examples run with every default rule enabled (plus the rule under test), as a user would
run them, and only the rule under test's findings count.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from .engine import Engine
from .registry import Registry
from .rulepack import Example, Rule


@dataclass
class ExampleCase:
    rule: Rule
    kind: str  # "invalid" | "valid"
    index: int
    example: Example

    @property
    def id(self) -> str:
        return f"{self.rule.id}-{self.kind}-{self.index}"


@dataclass
class ExampleOutcome:
    case: ExampleCase
    ok: bool
    expected: list[int]
    got: list[int]
    messages: list[str]

    def explain(self) -> str:
        ex = self.case.example
        where = f"{self.case.rule.source}:{ex.source_line}"
        if self.case.kind == "invalid":
            head = f"{self.case.id} ({where}): expected findings on lines {self.expected}, got {self.got}"
        else:
            head = f"{self.case.id} ({where}): expected no finding, got lines {self.got}"
        detail = "\n".join(f"    {m}" for m in self.messages)
        return head + ("\n" + detail if detail else "")


def cases(registry: Registry, rules: list[Rule] | None = None) -> list[ExampleCase]:
    out = []
    for rule in rules if rules is not None else registry.rules:
        out += [ExampleCase(rule, "invalid", i, e) for i, e in enumerate(rule.invalid)]
        out += [ExampleCase(rule, "valid", i, e) for i, e in enumerate(rule.valid)]
    return out


class ExampleRunner:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.defaults = registry.select()  # the default set, as a user runs it
        self.engines: dict[str, Engine] = {}

    def engine_for(self, rule: Rule) -> Engine:
        engine = self.engines.get(rule.id)
        if engine is None:
            rules = [r for r in self.defaults if r.id != rule.id] + [rule]
            engine = Engine(rules, known_codes=self.registry.all_codes())
            self.engines[rule.id] = engine
        return engine

    def run(self, case: ExampleCase) -> ExampleOutcome:
        code = textwrap.dedent(case.example.code)
        result = self.engine_for(case.rule).lint_text(code, case.example.filename)
        mine = [f for f in result.findings if f.rule_id == case.rule.id]
        got = sorted(f.span.start_line for f in mine)
        messages = [f"line {f.span.start_line}: {f.message}" for f in mine]
        messages += [f"error: {e.message}" for e in result.errors]
        expected = sorted(case.example.lines)
        if case.kind == "invalid":
            ok = sorted(set(got)) == sorted(set(expected)) and not result.errors
        else:
            ok = not got and not result.errors
        return ExampleOutcome(case, ok, expected, got, messages)
