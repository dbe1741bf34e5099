"""The `mcp-lint` command. Parses options and delegates; holds no analysis logic.

`mcp-lint src/` is `mcp-lint check src/`; `mcp-lint` alone checks `.`.
Exit codes (cli/outcome.py): 0 nothing to report, 1 findings (at or above `--fail-on`), 2 a usage,
configuration, rule-pack, baseline, path or output problem, or an internal error.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from mcp_lint import __version__
from mcp_lint.cli.check import CheckOptions, check
from mcp_lint.cli.commands import explain_rule, inspect_files, list_rules, test_packs, validate_packs
from mcp_lint.cli.outcome import COMMANDS, guarded
from mcp_lint.model.errors import UsageError


app = typer.Typer(
    name="mcp-lint",
    help="Static analysis for Python MCP servers: injection, unvalidated tool input, timeouts, error "
         "codes, blocking calls, stdio hygiene. `mcp-lint PATH...` is `mcp-lint check PATH...`.",
    no_args_is_help=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,  # the commands' own boundary reports errors (cli/outcome.py)
)



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


def _finish(command) -> None:
    """Run a command behind the one error boundary (cli/outcome.py) and exit with its code."""
    raise typer.Exit(guarded(command))


@app.command("check")
def check_command(
    paths: Optional[List[Path]] = typer.Argument(None, help="Files or directories to lint (default: .); '-' reads the source from stdin."),
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
    # adoption and CI
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Report only findings this baseline file (from --write-baseline) does not record."),
    write_baseline: Optional[Path] = typer.Option(None, "--write-baseline", help="Record the current findings in this baseline file and exit 0."),
    add_noqa: bool = typer.Option(False, "--add-noqa", help="Add `# noqa: CODE` comments that silence every current finding."),
    sarif_category: Optional[str] = typer.Option(None, "--sarif-category", help="The code-scanning category, SARIF automationDetails.id (default: mcp-lint, written `mcp-lint/`)."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="Exit 1 only for findings at or above this severity: error, warning or info (default: info, any finding)."),
    min_confidence: Optional[str] = typer.Option(None, "--min-confidence", help="Report only findings reached with at least this confidence: high, medium or low (default: all)."),
    show_settings: bool = typer.Option(False, "--show-settings", help="Print the resolved settings (which file they come from, the enabled rules) and exit."),
    show_files: bool = typer.Option(False, "--show-files", help="Print the files that would be linted (and why others are skipped) and exit."),
    stdin_filename: Optional[str] = typer.Option(None, "--stdin-filename", help="With '-' as the path: the name of the file whose source is on stdin (for its configuration and in reports)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the findings cache."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to keep the findings cache (default: .mcp_lint_cache beside the configuration)."),
    watch: bool = typer.Option(False, "--watch", help="Lint, then lint again as files change and print what changed, until Ctrl-C (needs the `watch` extra)."),
) -> None:
    """Lint files and directories (the default command)."""
    opts = CheckOptions(
        paths=[str(p) for p in (paths or [Path(".")])],
        select=_split(select), extend_select=_split(extend_select) or [], ignore=_split(ignore) or [],
        output_format=output_format.value, output_file=output_file, exit_zero=exit_zero, statistics=statistics,
        config=config, rule_packs=[str(p) for p in rule_pack or []], force_exclude=force_exclude,
        extend_exclude=_split(extend_exclude) or [], fix=fix, unsafe_fixes=unsafe_fixes, diff=diff, jobs=jobs,
        quiet=quiet, no_cache=no_cache, cache_dir=cache_dir,
        baseline=baseline, write_baseline=write_baseline, add_noqa=add_noqa, sarif_category=sarif_category,
        fail_on=fail_on, min_confidence=min_confidence, show_settings=show_settings, show_files=show_files, stdin_filename=stdin_filename,
    )
    if watch:
        from mcp_lint.cli.watch import watch as watch_files
        _finish(lambda: watch_files(opts))
    _finish(lambda: check(opts))


@app.command("rule")
def rule_command(
    code: str = typer.Argument(..., help="A rule id (MCP101) or name (sql-string-formatting)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Settings file whose rule packs to look in (default: the nearest pyproject.toml with [tool.mcp-lint])."),
    rule_pack: Optional[List[Path]] = typer.Option(None, "--rule-pack", help="Also look in this YAML pack."),
) -> None:
    """Explain a rule: what it does, why, an example, what to use instead, references."""
    _finish(lambda: explain_rule(code, config, [str(p) for p in rule_pack or []]))


@app.command("rules")
def rules_command(
    output_format: str = typer.Option("table", "--output-format", help="table or json"),
    config: Optional[Path] = typer.Option(None, "--config", help="Settings file whose selection marks rules enabled."),
    rule_pack: Optional[List[Path]] = typer.Option(None, "--rule-pack", help="An extra YAML rule pack (repeatable)."),
) -> None:
    """List every rule: id, name, pack, severity, fixable, enabled."""
    _finish(lambda: list_rules(output_format, config, [str(p) for p in rule_pack or []]))


@app.command("test-rules")
def test_rules_command(
    packs: List[Path] = typer.Argument(..., help="YAML rule packs whose embedded examples to run."),
) -> None:
    """Run a pack's INVALID examples (must fire on the given lines) and VALID ones (must not)."""
    _finish(lambda: test_packs([str(p) for p in packs]))


@app.command("validate-pack")
def validate_pack_command(
    packs: List[Path] = typer.Argument(..., help="YAML rule packs to validate."),
) -> None:
    """Check rule packs strictly: keys, types, primitives and their parameters."""
    _finish(lambda: validate_packs([str(p) for p in packs]))


@app.command("inspect")
def inspect_command(
    files: List[Path] = typer.Argument(..., help="Python files to describe."),
    json_output: bool = typer.Option(False, "--json", help="Print the model as JSON."),
) -> None:
    """Show what mcp-lint sees: servers, transports, auth, handlers and how each parameter is constrained."""
    _finish(lambda: inspect_files([str(f) for f in files], json_output))


@app.command("server")
def server_command(
    stdio: bool = typer.Option(True, "--stdio", help="Talk over stdin/stdout (the only transport; accepted for clients that pass it)."),
    log_file: Optional[Path] = typer.Option(None, "--log-file", help="Write the server's log here instead of stderr."),
    log_level: str = typer.Option("warning", "--log-level", help="debug, info, warning or error."),
) -> None:
    """Run the Language Server Protocol server over stdio (needs the `lsp` extra)."""
    try:
        from mcp_lint.cli.lsp import serve
    except ImportError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        _finish(lambda: _missing_extra("server", "lsp", missing))
    _finish(lambda: serve(str(log_file) if log_file else None, log_level))


def _missing_extra(command: str, extra: str, module: str) -> int:
    raise UsageError(f"`mcp-lint {command}` needs the {extra} extra ({module} is missing): "
                     f"pip install 'mcp-lint[{extra}]'")


class AuditFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"


@app.command("audit")
def audit_command(
    path: Optional[Path] = typer.Argument(None, help="The project's root directory (default: .)."),
    output_format: AuditFormat = typer.Option(AuditFormat.table, "--output-format", help="table (terminal), markdown (a PR comment, $GITHUB_STEP_SUMMARY) or json."),
    output_file: Optional[Path] = typer.Option(None, "-o", "--output-file", help="Write the scorecard to this file instead of stdout."),
    fail_under: Optional[int] = typer.Option(None, "--fail-under", help="Exit 1 when the score (0-100) is below this."),
    explain: Optional[str] = typer.Option(None, "--explain", metavar="ITEM", help="Print how a checklist item is judged, and its limits."),
    config: Optional[Path] = typer.Option(None, "--config", help="Read settings from this TOML file."),
    jobs: int = typer.Option(0, "-j", "--jobs", min=0, help="Worker processes (0: one per CPU; small runs are serial)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bar, no notices."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the findings cache."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to keep the findings cache."),
) -> None:
    """Score a project against the production checklist, with evidence for every item."""
    from mcp_lint.cli.audit import AuditOptions, explain_item, run_audit

    if explain is not None:
        _finish(lambda: explain_item(explain))
    _finish(lambda: run_audit(AuditOptions(
        path=path or Path("."), output_format=output_format.value, output_file=output_file, fail_under=fail_under,
        config=config, no_cache=no_cache, cache_dir=cache_dir, jobs=jobs, quiet=quiet)))


def normalise_args(args: list[str]) -> list[str]:
    """`mcp-lint src/` and `mcp-lint --select X src/` mean `mcp-lint check ...`."""
    args = list(args)
    if not args or (args[0] not in COMMANDS and args[0] not in ("-h", "--help", "--version")):
        args.insert(0, "check")
    return args


def main(argv: list[str] | None = None) -> None:
    args = normalise_args(sys.argv[1:] if argv is None else argv)
    app(args=args, prog_name="mcp-lint", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main()
