"""Rule examples as tests: every INVALID example must fire exactly on its expected lines,
every VALID look-alike must stay silent. Used by the test-suite (one pytest case per
example, ids like `MCP101-invalid-0`) and by `mcp-lint test-rules` for custom packs.

Examples run with every default rule enabled (plus the rule under test), as a user would
run them, and only the rule under test's findings count.
"""

from __future__ import annotations

import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from mcp_lint.check.engine import Engine
from mcp_lint.check.fixkit import check_example_fix as check_fix
from mcp_lint.model.findings import FileResult
from mcp_lint.project.stage import check_projects
from mcp_lint.packs.registry import Registry
from mcp_lint.model.rules import Example, Rule


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
    fix_problem: str = ""  # the example's `fixed:` code is not what the fixes produce

    def explain(self) -> str:
        ex = self.case.example
        where = f"{self.case.rule.source}:{ex.source_line}"
        if self.fix_problem:
            head = f"{self.case.id} ({where}): {self.fix_problem}"
        elif self.case.kind == "invalid":
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
        if case.example.files:
            result = self._run_project(case, code)
        else:
            result = self.engine_for(case.rule).lint_text(code, case.example.filename)
        target = case.example.lines_in or case.example.filename
        mine = [f for f in result.findings if f.rule_id == case.rule.id]
        # A finding in another file than the one `lines` refer to counts as line 0: never expected.
        got = sorted(f.span.start_line if f.path == target else 0 for f in mine)
        messages = [f"{'' if f.path == target else f.path + ' '}line {f.span.start_line}: {f.message}" for f in mine]
        messages += [f"error: {e.message}" for e in result.errors]
        expected = sorted(case.example.lines)
        if case.kind == "invalid":
            ok = sorted(set(got)) == sorted(set(expected)) and not result.errors
        else:
            ok = not got and not result.errors
        fix_problem = ""
        if ok and case.kind == "invalid" and case.example.fixed is not None:
            fix_problem = check_fix(self.engine_for(case.rule), case.rule, code, textwrap.dedent(case.example.fixed),
                                    case.example.filename)
            ok = not fix_problem
        return ExampleOutcome(case, ok, expected, got, messages, fix_problem)

    def _run_project(self, case: ExampleCase, code: str) -> FileResult:
        """An example with other files (a manifest): written to a temporary directory and run
        like a project, the project stage included; finding paths are relative to it."""
        engine = self.engine_for(case.rule)
        with tempfile.TemporaryDirectory(prefix="mcp-lint-example-") as tmp:
            root = Path(tmp).resolve()
            files = {case.example.filename: code, **{k: textwrap.dedent(v) for k, v in case.example.files.items()}}
            for name, text in files.items():
                path = root / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            source = root / case.example.filename
            result = engine.lint_path(str(source), case.example.filename)
            for _, project in check_projects(engine.rules, {str(source): result.facts},
                                             known_codes=self.registry.all_codes(), cwd=root):
                result.findings += project.findings
                result.errors += project.errors
        return result
