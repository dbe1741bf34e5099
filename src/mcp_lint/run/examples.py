"""Rule examples as tests: every INVALID example must fire exactly on its expected lines,
every VALID look-alike must stay silent. Used by the test-suite (one pytest case per
example, ids like `MCP101-invalid-0`) and by `mcp-lint test-rules` for custom packs.

Examples run with every default rule enabled (plus the rule under test), as a user would
run them, and only the rule under test's findings count. An example whose code does not parse
fails as such (not as a rule that did not fire).

Packs come from strangers: an example with other files is written into a fresh temporary
directory, each file created new (never through a link) under a name validation accepted,
checked again here, so nothing outside that directory is ever written.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from mcp_lint.check.engine import Engine
from mcp_lint.check.fixkit import check_example_fix as check_fix
from mcp_lint.model.findings import FileResult
from mcp_lint.model.settings import DEFAULT_FILE_TIMEOUT
from mcp_lint.project.stage import check_projects
from mcp_lint.packs.loader import example_path_problem
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
    problem: str = ""  # the example itself is broken (does not parse, cannot be written)
    fix_problem: str = ""  # the example's `fixed:` code is not what the fixes produce

    def explain(self) -> str:
        ex = self.case.example
        where = f"{self.case.rule.source}:{ex.source_line}"
        if self.problem:
            head = f"{self.case.id} ({where}): {self.problem}"
        elif self.fix_problem:
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


class ExampleFileError(Exception):
    """An example's file that cannot be written where it must go."""


# An example is linted under the same per-file time budget as a file of a run.
EXAMPLE_TIMEOUT = DEFAULT_FILE_TIMEOUT


class ExampleRunner:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.defaults = registry.select()  # the default set, as a user runs it
        self.engines: dict[str, Engine] = {}
        self.parse_rules = frozenset(r.id for r in registry.rules if r.primitive == "parse-error")

    def engine_for(self, rule: Rule) -> Engine:
        engine = self.engines.get(rule.id)
        if engine is None:
            rules = [r for r in self.defaults if r.id != rule.id] + [rule]
            engine = Engine(rules, known_codes=self.registry.all_codes(), timeout=EXAMPLE_TIMEOUT)
            self.engines[rule.id] = engine
        return engine

    def run(self, case: ExampleCase) -> ExampleOutcome:
        code = textwrap.dedent(case.example.code)
        expected = sorted(case.example.lines)
        try:
            if case.example.files:
                result = self._run_project(case, code)
            else:
                result = self.engine_for(case.rule).lint_text(code, case.example.filename)
        except ExampleFileError as exc:
            return ExampleOutcome(case, False, expected, [], [], problem=f"example files cannot be written: {exc}")
        target = case.example.lines_in or case.example.filename
        if case.rule.primitive != "parse-error":
            broken = [f for f in result.findings if f.rule_id in self.parse_rules and f.rule_id != case.rule.id
                      and f.path.endswith((".py", ".pyi"))]
            if broken:
                where = "; ".join(f"{'' if f.path == case.example.filename else f.path + ' '}line "
                                  f"{f.span.start_line}: {f.message}" for f in broken)
                return ExampleOutcome(case, False, expected, [], [], problem=f"example does not parse: {where}")
        mine = [f for f in result.findings if f.rule_id == case.rule.id]
        # A finding in another file than the one `lines` refer to counts as line 0: never expected.
        got = sorted(f.span.start_line if f.path == target else 0 for f in mine)
        messages = [f"{'' if f.path == target else f.path + ' '}line {f.span.start_line}: {f.message}" for f in mine]
        messages += [f"error: {e.message}" for e in result.errors]
        if case.kind == "invalid":
            ok = sorted(set(got)) == sorted(set(expected)) and not result.errors
        else:
            ok = not got and not result.errors
        fix_problem = ""
        if ok and case.kind == "invalid" and case.example.fixed is not None:
            fix_problem = check_fix(self.engine_for(case.rule), case.rule, code, textwrap.dedent(case.example.fixed),
                                    case.example.filename)
            ok = not fix_problem
        return ExampleOutcome(case, ok, expected, got, messages, fix_problem=fix_problem)

    def _run_project(self, case: ExampleCase, code: str) -> FileResult:
        """An example with other files (a manifest): written to a temporary directory and run
        like a project, the project stage included; finding paths are relative to it."""
        engine = self.engine_for(case.rule)
        with tempfile.TemporaryDirectory(prefix="mcp-lint-example-") as tmp:
            root = Path(tmp).resolve()
            files = {**{k: textwrap.dedent(v) for k, v in case.example.files.items()}, case.example.filename: code}
            for name, text in files.items():
                write_confined(root, name, text)
            source = root / case.example.filename
            result = engine.lint_path(str(source), case.example.filename)
            for _, project in check_projects(engine.rules, {str(source): result.facts},
                                             known_codes=self.registry.all_codes(), cwd=root):
                result.findings += project.findings
                result.errors += project.errors
        return result


def write_confined(root: Path, name: str, text: str) -> Path:
    """Create the file `name` (a relative path as validation accepts them) inside `root`, a
    directory of our own: every folder is made here or must be a real folder inside `root`, and
    the file must not exist yet (`O_EXCL`, `O_NOFOLLOW`), so no name and no link leads out."""
    problem = example_path_problem(name)
    if problem is not None:
        raise ExampleFileError(problem)
    *folders, leaf = name.split("/")
    parent = root
    try:
        for part in folders:
            parent = parent / part
            try:
                os.mkdir(parent, 0o700)
            except FileExistsError:
                pass
            if parent.is_symlink() or not parent.is_dir():
                raise ExampleFileError(f"'{name}': '{parent.relative_to(root)}' is not a folder of the example")
        path = parent / leaf
        if os.path.commonpath([str(root), os.path.realpath(path.parent)]) != str(root):
            raise ExampleFileError(f"'{name}' leads out of the example's directory")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise ExampleFileError(f"'{name}': {exc.strerror or exc}") from None
    return path
