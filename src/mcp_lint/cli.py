"""The `mcp-lint` command. Parses options and delegates; holds no analysis logic.

`mcp-lint src/` is `mcp-lint check src/`; `mcp-lint` alone checks `.`.
Exit codes: 0 no findings, 1 findings, 2 usage / configuration / rule-pack error or an
internal error in a rule.
"""

from __future__ import annotations

import sys
import typing
from enum import Enum
from pathlib import Path
from typing import Any, Callable, List, Optional

import typer
import typer.core

from . import __version__
from .commands import CheckOptions, ExitCode, UserError, check, explain_rule, inspect_files, list_rules, test_packs, \
    validate_packs


class _Plain:
    """Coercion of a command-line value to str, int, bool, Path or an Enum, or a list of one.

    Recent typer versions validate every parameter through a pydantic TypeAdapter built on first
    use; importing pydantic and building the adapters costs more than linting one file. These
    types need nothing of that, so `_FastCommand` gives such parameters this instead (typer's
    own coercion stays for anything else, and older typer versions are left as they are)."""

    def __init__(self, convert: Callable[[Any], Any], many: bool) -> None:
        self.convert = convert
        self.many = many

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        many = param.multiple or param.nargs == -1
        if value is None:
            return () if many else None
        try:
            if many:
                if isinstance(value, str):
                    raise ValueError("Value must be an iterable.")
                return [self.convert(v) for v in value]
            return self.convert(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), ctx=ctx, param=param) from None


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "t", "yes", "y", "on"):
        return True
    if text in ("0", "false", "f", "no", "n", "off"):
        return False
    raise ValueError(f"{value!r} is not a valid boolean.")


def _converter(annotation: Any, info: Any) -> Callable[[Any], Any] | None:
    if annotation in (str, Path):
        return annotation
    if annotation is bool:
        return _to_bool
    if annotation is int:
        low = getattr(info, "min", None)

        def to_int(value: Any) -> int:
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise ValueError(f"{value!r} is not a valid integer.") from None
            if low is not None and number < low:
                raise ValueError(f"Input should be greater than or equal to {low}")
            return number
        return to_int
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        choices = [m.value for m in annotation]

        def to_member(value: Any) -> Enum:
            try:
                return annotation(value)
            except ValueError:
                raise ValueError(f"{value!r} is not one of {', '.join(repr(c) for c in choices)}.") from None
        return to_member
    return None


def _plain(descriptor: Any) -> _Plain | None:
    annotation = descriptor.annotation
    if typing.get_origin(annotation) is typing.Union:  # Optional[X]
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            return None
        annotation = args[0]
    many = typing.get_origin(annotation) is list
    if many:
        annotation = typing.get_args(annotation)[0]
    info = getattr(descriptor, "parameter_info", None)
    if getattr(info, "parser", None) is not None:
        return None
    convert = _converter(annotation, info)
    return None if convert is None else _Plain(convert, many)


def _plain_params(command: Any, ctx: Any) -> None:
    for param in command.get_params(ctx):
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is not None and getattr(param, "_runtime_param", False) is None:
            param._runtime_param = _plain(descriptor)


class _FastCommand(typer.core.TyperCommand):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _plain_params(self, ctx)
        return super().parse_args(ctx, args)


class _FastGroup(typer.core.TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _plain_params(self, ctx)
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_FastGroup,
    name="mcp-lint",
    help="Static analysis for Python MCP servers: injection, unvalidated tool input, timeouts, error "
         "codes, blocking calls, stdio hygiene. `mcp-lint PATH...` is `mcp-lint check PATH...`.",
    no_args_is_help=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)

COMMANDS = ("check", "rule", "rules", "test-rules", "validate-pack", "inspect", "audit")


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


@app.command("check", cls=_FastCommand)
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
    # adoption and CI
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Report only findings this baseline file (from --write-baseline) does not record."),
    write_baseline: Optional[Path] = typer.Option(None, "--write-baseline", help="Record the current findings in this baseline file and exit 0."),
    add_noqa: bool = typer.Option(False, "--add-noqa", help="Add `# noqa: CODE` comments that silence every current finding."),
    sarif_category: Optional[str] = typer.Option(None, "--sarif-category", help="SARIF automationDetails.id: the code-scanning category (default: mcp-lint)."),
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
        baseline=baseline, write_baseline=write_baseline, add_noqa=add_noqa, sarif_category=sarif_category,
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


class AuditFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"


@app.command("audit", cls=_FastCommand)
def audit_command(
    path: Optional[Path] = typer.Argument(None, help="The project's root directory (default: .)."),
    output_format: AuditFormat = typer.Option(AuditFormat.table, "--output-format", help="table (terminal), markdown (a PR comment, $GITHUB_STEP_SUMMARY) or json."),
    output_file: Optional[Path] = typer.Option(None, "-o", "--output-file", help="Write the scorecard to this file instead of stdout."),
    fail_under: Optional[int] = typer.Option(None, "--fail-under", min=0, help="Exit 1 when the score (0-100) is below this."),
    explain: Optional[str] = typer.Option(None, "--explain", metavar="ITEM", help="Print how a checklist item is judged, and its limits."),
    config: Optional[Path] = typer.Option(None, "--config", help="Read settings from this TOML file."),
    jobs: int = typer.Option(0, "-j", "--jobs", min=0, help="Worker processes (0: one per CPU; small runs are serial)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bar, no notices."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the findings cache."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to keep the findings cache."),
) -> None:
    """Score a project against the production checklist, with evidence for every item."""
    from .audit.command import AuditOptions, explain_item, run_audit

    if explain is not None:
        _finish(explain_item(explain))
    _finish(run_audit(AuditOptions(path=path or Path("."), output_format=output_format.value, output_file=output_file,
                                   fail_under=fail_under, config=config, no_cache=no_cache, cache_dir=cache_dir,
                                   jobs=jobs, quiet=quiet)))


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
