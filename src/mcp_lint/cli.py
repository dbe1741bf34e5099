"""The `mcp-lint` command. Parses options and delegates; holds no analysis logic.

`mcp-lint src/` is `mcp-lint check src/`; `mcp-lint` alone checks `.`.
Exit codes: 0 no findings, 1 findings, 2 usage / configuration / rule-pack error or an
internal error in a rule.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .commands import CheckOptions, ExitCode, UserError, check, explain_rule, inspect_files, list_rules, test_packs, \
    validate_packs

app = typer.Typer(
    name="mcp-lint",
    help="Static analysis for Python MCP servers: injection, unvalidated tool input, timeouts, error "
         "codes, blocking calls, stdio hygiene. `mcp-lint PATH...` is `mcp-lint check PATH...`.",
    no_args_is_help=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)

COMMANDS = ("check", "rule", "rules", "test-rules", "validate-pack", "inspect")


class OutputFormat(str, Enum):
    full = "full"
    concise = "concise"
    json = "json"
    sarif = "sarif"
    github = "github"


def _split(values: Optional[List[str]]) -> Optional[list[str]]:
    if values is None:
        return None
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcp-lint {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """mcp-lint: lint Python MCP servers."""


def _finish(code: int) -> None:
    raise typer.Exit(int(code))


@app.command("check")
def check_command(
    paths: Optional[List[Path]] = typer.Argument(None, help="Files or directories to lint (default: .)."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Rules to enable, replacing the default set: ids, prefixes (MCP1), names, pack names, ALL. Comma-separated or repeated."),
    extend_select: Optional[List[str]] = typer.Option(None, "--extend-select", help="Rules to enable in addition to the selected ones."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Rules to disable."),
    output_format: OutputFormat = typer.Option(OutputFormat.full, "--output-format", help="How to print findings."),
    output_file: Optional[Path] = typer.Option(None, "-o", "--output-file", help="Write the report to this file instead of stdout."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when there are findings."),
    statistics: bool = typer.Option(False, "--statistics", help="Print a count per rule instead of the findings."),
    config: Optional[Path] = typer.Option(None, "--config", help="Read settings from this TOML file (a pyproject.toml or a file holding the [tool.mcp-lint] keys at top level)."),
    rule_pack: Optional[List[Path]] = typer.Option(None, "--rule-pack", help="An extra YAML rule pack (repeatable)."),
    force_exclude: bool = typer.Option(False, "--force-exclude", help="Apply excludes to files passed explicitly too (for pre-commit)."),
    extend_exclude: Optional[List[str]] = typer.Option(None, "--extend-exclude", help="More exclude patterns (gitignore syntax)."),
    fix: bool = typer.Option(False, "--fix", help="Apply safe fixes in place."),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes", help="With --fix or --diff, also apply fixes that may change behaviour."),
    diff: bool = typer.Option(False, "--diff", help="Print the fixes as a unified diff instead of writing them."),
    jobs: int = typer.Option(0, "-j", "--jobs", min=0, help="Worker processes (0: one per CPU; small runs are serial)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print findings only: no summary, no notices."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the findings cache."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to keep the findings cache (default: .mcp_lint_cache beside the configuration)."),
) -> None:
    """Lint files and directories (the default command)."""
    opts = CheckOptions(
        paths=[str(p) for p in (paths or [Path(".")])],
        select=_split(select), extend_select=_split(extend_select) or [], ignore=_split(ignore) or [],
        output_format=output_format.value, output_file=output_file, exit_zero=exit_zero, statistics=statistics,
        config=config, rule_packs=[str(p) for p in rule_pack or []], force_exclude=force_exclude,
        extend_exclude=_split(extend_exclude) or [], fix=fix, unsafe_fixes=unsafe_fixes, diff=diff, jobs=jobs,
        quiet=quiet, no_cache=no_cache, cache_dir=cache_dir,
    )
    _finish(check(opts))


@app.command("rule")
def rule_command(
    code: str = typer.Argument(..., help="A rule id (MCP101) or name (sql-string-formatting)."),
    rule_pack: Optional[List[Path]] = typer.Option(None, "--rule-pack", help="Also look in this YAML pack."),
) -> None:
    """Explain a rule: what it does, why, an example, what to use instead, references."""
    _finish(explain_rule(code, [str(p) for p in rule_pack or []]))


@app.command("rules")
def rules_command(
    output_format: str = typer.Option("table", "--output-format", help="table or json"),
    config: Optional[Path] = typer.Option(None, "--config", help="Settings file whose selection marks rules enabled."),
    rule_pack: Optional[List[Path]] = typer.Option(None, "--rule-pack", help="An extra YAML rule pack (repeatable)."),
) -> None:
    """List every rule: id, name, pack, severity, fixable, enabled."""
    _finish(list_rules(output_format, config, [str(p) for p in rule_pack or []]))


@app.command("test-rules")
def test_rules_command(
    packs: List[Path] = typer.Argument(..., help="YAML rule packs whose embedded examples to run."),
) -> None:
    """Run a pack's INVALID examples (must fire on the given lines) and VALID ones (must not)."""
    _finish(test_packs([str(p) for p in packs]))


@app.command("validate-pack")
def validate_pack_command(
    packs: List[Path] = typer.Argument(..., help="YAML rule packs to validate."),
) -> None:
    """Check rule packs strictly: keys, types, primitives and their parameters."""
    _finish(validate_packs([str(p) for p in packs]))


@app.command("inspect")
def inspect_command(
    files: List[Path] = typer.Argument(..., help="Python files to describe."),
    json_output: bool = typer.Option(False, "--json", help="Print the model as JSON."),
) -> None:
    """Show what mcp-lint sees: servers, transports, auth, handlers and how each parameter is constrained."""
    _finish(inspect_files([str(f) for f in files], json_output))


def normalise_args(args: list[str]) -> list[str]:
    """`mcp-lint src/` and `mcp-lint --select X src/` mean `mcp-lint check ...`."""
    args = list(args)
    if not args or (args[0] not in COMMANDS and args[0] not in ("-h", "--help", "--version")):
        args.insert(0, "check")
    return args


def main(argv: list[str] | None = None) -> None:
    args = normalise_args(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="mcp-lint", standalone_mode=True)
    except UserError as exc:  # pragma: no cover - raised inside commands and handled there
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(ExitCode.ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()
