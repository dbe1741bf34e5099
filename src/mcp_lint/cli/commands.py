"""The commands other than `check` (cli/check.py), as plain functions returning an exit code.
They read the same configuration as `check`: the nearest `[tool.mcp-lint]`, or `--config`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mcp_lint.cli.outcome import ExitCode, error
from mcp_lint.cli.settings import plain_settings, select
from mcp_lint.model.errors import PackError, UsageError
from mcp_lint.packs.loader import load_knowledge, load_pack
from mcp_lint.packs.registry import load_registry


# -- rule documentation -------------------------------------------------------------------------

def explain_rule(code: str, config: Path | None, packs: list[str]) -> int:
    settings = plain_settings(config, ["."], packs)
    rule = load_registry(settings.rule_packs, settings.knowledge_files).get(code)
    if rule is None:
        raise UsageError(f"unknown rule '{code}' (see `mcp-lint rules`)")
    if settings.severity.get(rule.id, rule.severity) != rule.severity:  # as `check` reports it
        import dataclasses
        rule = dataclasses.replace(rule, severity=settings.severity[rule.id])
    from rich.markdown import Markdown

    from mcp_lint.output.docs import rule_markdown
    from mcp_lint.output.reporters.console import make_console

    console = make_console()
    if console.is_terminal:
        console.print(Markdown(rule_markdown(rule)))
    else:
        sys.stdout.write(rule_markdown(rule) + "\n")
    return ExitCode.CLEAN


def list_rules(output_format: str, config: Path | None, packs: list[str]) -> int:
    if output_format not in ("table", "json"):
        raise UsageError(f"--output-format: expected table or json, got {output_format!r}")
    settings = plain_settings(config, ["."], packs)
    registry = load_registry(settings.rule_packs, settings.knowledge_files)
    enabled = {r.id for r in select(registry, settings)}
    rows = [{"id": r.id, "name": r.name, "pack": r.pack,
             "severity": settings.severity.get(r.id, r.severity).value,
             "fixable": r.fix.value if r.fix else "no", "enabled": r.id in enabled} for r in registry.rules]
    if output_format == "json":
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitCode.CLEAN
    from rich.table import Table

    from mcp_lint.output.reporters.console import make_console

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("id", "name", "pack", "severity", "fixable", "enabled"):
        table.add_column(col)
    for row in rows:
        table.add_row(row["id"], row["name"], row["pack"], row["severity"], row["fixable"],
                      "yes" if row["enabled"] else "no")
    make_console().print(table)
    return ExitCode.CLEAN


# -- packs ----------------------------------------------------------------------------------------

def validate_packs(paths: list[str]) -> int:
    status = ExitCode.CLEAN
    for path in paths:
        if _is_knowledge_file(path):
            try:
                knowledge = load_knowledge(path)
            except PackError as exc:
                for problem in getattr(exc, "problems", None) or [exc]:
                    error(problem.located())
                status = ExitCode.ERROR
                continue
            count = len(knowledge.libraries)
            print(f"{path}: ok (knowledge of {count} librar{'ies' if count != 1 else 'y'})")
            continue
        try:  # the pack, validated once, and its ids/names checked against the built-in packs
            registry = load_registry([path])
            pack = next((p for p in registry.packs if Path(p.path).resolve() == Path(path).resolve()), None) \
                or load_pack(path)
        except PackError as exc:
            for problem in getattr(exc, "problems", None) or [exc]:  # every problem of the pack
                error(problem.located())
            status = ExitCode.ERROR
            continue
        print(f"{path}: ok ({len(pack.rules)} rule{'s' if len(pack.rules) != 1 else ''})")
    return status


def _is_knowledge_file(path: str) -> bool:
    """A knowledge file (docs/knowledge.md) rather than a rule pack: its first key is `knowledge:`.
    Only a regular file is read here (a FIFO or a device is left to the pack loader, which refuses it)."""
    try:
        if not Path(path).is_file():
            return False
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024).decode("utf-8", "replace")
    except OSError:
        return False
    for line in head.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or line.startswith("---"):
            continue
        return line.startswith("knowledge:")
    return False


def test_packs(paths: list[str]) -> int:
    from mcp_lint.run.examples import ExampleRunner, cases

    registry = load_registry(paths)
    packs = [load_pack(p) for p in paths]
    runner = ExampleRunner(registry)
    by_path = {str(Path(p.path).resolve()): p for p in registry.packs}
    packs = [by_path.get(str(Path(p.path).resolve()), p) for p in packs]
    failures = 0
    total = 0
    for pack in packs:
        for case in cases(registry, list(pack.rules)):
            total += 1
            outcome = runner.run(case)
            if not outcome.ok:
                failures += 1
                print(f"FAIL {outcome.explain()}")
    print(f"{total - failures} passed, {failures} failed")
    return ExitCode.FINDINGS if failures else ExitCode.CLEAN


# -- inspect --------------------------------------------------------------------------------------

def inspect_files(paths: list[str], as_json: bool) -> int:
    from mcp_lint.cli.check import project_index
    from mcp_lint.output.model_view import describe_file

    settings = plain_settings(None, paths)
    project = project_index([Path(p).resolve() for p in paths if Path(p).is_file()], paths, settings)
    docs = [describe_file(p, project) for p in paths]
    if as_json:
        json.dump(docs if len(docs) != 1 else docs[0], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        from mcp_lint.output.reporters.inspect_text import render_model
        for doc in docs:
            render_model(doc, sys.stdout)
    return ExitCode.ERROR if any(d.get("error") for d in docs) else ExitCode.CLEAN
