"""What each CLI command does, as plain functions returning an exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, TextIO

from mcp_lint import __version__
from mcp_lint.source.discovery import discover
from mcp_lint.model.errors import UsageError
from mcp_lint.model.findings import Finding
from mcp_lint.project.servers import scan_project
from mcp_lint.packs.registry import Registry, SelectorError, load_registry
from mcp_lint.output.reporters import Report, render
from mcp_lint.model.errors import PackError
from mcp_lint.packs.loader import load_pack
from mcp_lint.model.errors import ConfigError, OutputError
from mcp_lint.check.fix_options import configure as configure_fixes
from mcp_lint.model.settings import Settings
from mcp_lint.source.config import find_config, load_settings, locate

if TYPE_CHECKING:
    from mcp_lint.model.results import RunResult


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    ERROR = 2


@dataclass
class CheckOptions:
    paths: list[str]
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    output_format: str = "full"
    output_file: Path | None = None
    exit_zero: bool = False
    statistics: bool = False
    config: Path | None = None
    rule_packs: list[str] = field(default_factory=list)
    force_exclude: bool = False
    extend_exclude: list[str] = field(default_factory=list)
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    jobs: int = 0
    quiet: bool = False
    no_cache: bool = False
    cache_dir: Path | None = None
    # Adoption and CI: baselines, noqa comments, the SARIF category.
    baseline: Path | None = None
    write_baseline: Path | None = None
    add_noqa: bool = False
    sarif_category: str | None = None


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _warn(message: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"warning: {message}", file=sys.stderr)


def _settings(config: Path | None, paths: list[str], **overrides) -> Settings:
    if config is not None:
        if not config.is_file():
            raise UsageError(f"--config: no such file: {config}")
        config_file: Path | None = config
    else:
        start = Path(paths[0]) if paths else Path(".")
        config_file = find_config(start if start.exists() else Path(".")) or find_config(Path("."))
    return load_settings(config_file, Path.cwd(), **overrides)


def _registry(settings: Settings) -> Registry:
    return load_registry(settings.rule_packs)


def _select(registry: Registry, settings: Settings):
    _check_config_codes(registry, settings)
    try:
        return registry.select_layers(settings.selection_layers())
    except SelectorError as exc:
        raise UsageError(f"--{exc}") from None


def _check_config_codes(registry: Registry, settings: Settings) -> None:
    """Unknown rule selectors and severity codes in the configuration: name file and line."""
    path = settings.config_file
    for key, values in (("select", settings.select or ()), ("extend-select", settings.extend_select),
                        ("ignore", settings.ignore)):
        for value in values:
            try:
                registry.check_selectors([value], key)
            except SelectorError:
                raise UsageError(_where(path, locate(path, key, value=value),
                                       f"[tool.mcp-lint] {key}: unknown rule selector '{value}'")) from None
    for code in settings.severity:
        if registry.get(code) is None:
            raise UsageError(_where(path, locate(path, "severity", sub=code),
                                   f"[tool.mcp-lint.severity] unknown rule '{code}'"))
    for pattern, codes in settings.per_file_ignores:
        for code in codes:
            try:
                registry.check_selectors([code], "per-file-ignores")
            except SelectorError:
                raise UsageError(_where(path, locate(path, "per-file-ignores", sub=pattern),
                                       f"[tool.mcp-lint.per-file-ignores] '{pattern}': unknown rule selector "
                                       f"'{code}'")) from None


def _where(path: Path | None, line: int | None, message: str) -> str:
    if path is None:
        return message
    return f"{path}:{line}: {message}" if line else f"{path}: {message}"


def _sarif_root(cwd: Path) -> Path:
    """The repository root: GitHub reads SARIF paths relative to it."""
    return _git_toplevel(cwd) or cwd


def _git_toplevel(cwd: Path) -> Path | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True, text=True,
                             timeout=10, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def check(opts: CheckOptions) -> int:
    try:
        settings = _settings(opts.config, opts.paths, select=opts.select, extend_select=opts.extend_select,
                             ignore=opts.ignore, rule_packs=opts.rule_packs, force_exclude=opts.force_exclude,
                             extend_exclude=opts.extend_exclude)
        registry = _registry(settings)
        rules = configure_fixes(_select(registry, settings), settings)
        known = _load_baseline(opts)
    except (ConfigError, PackError, UsageError) as exc:
        _err(str(exc))
        return ExitCode.ERROR

    cwd = Path.cwd()
    found = discover(opts.paths, settings)
    for path in found.missing:
        _err(f"{path}: no such file or directory")
    for path, problem in found.errors:
        _warn(f"{path}: {problem}", opts.quiet)

    project = scan_project(_project_files(found.files, opts.paths, settings))
    result = _run(found.files, rules, settings, registry, project, opts, cwd)

    try:
        if opts.fix or opts.diff:
            code = _apply_fixes(result, rules, settings, registry, opts, project)
            if code is not None:
                return code

        code = _baseline_step(result, known, settings, cwd, opts)
        if code is None and opts.add_noqa:
            code = _add_noqa(result, opts)
        if code is not None:
            return ExitCode.ERROR if found.missing else code

        report = Report(findings=result.findings, files=result.files, rules={r.id: r for r in registry.rules},
                        enabled=rules, errors=result.errors, version=__version__,
                        sarif_root=_sarif_root(cwd) if opts.output_format in ("sarif", "json", "github") else None,
                        cwd=cwd, fixable_hint=not opts.fix, sarif_category=opts.sarif_category,
                        severity=dict(settings.severity), unsafe_hint=not opts.unsafe_fixes)
        _write(report, opts)
    except OutputError as exc:
        _err(str(exc))
        return ExitCode.ERROR

    internal = [e for e in result.errors if e.rule_id]
    for e in result.errors:
        (_err if e.rule_id else _warn)(f"{e.path}: {e.message}")
    if found.missing or internal:
        return ExitCode.ERROR
    if result.findings and not opts.exit_zero:
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


# -- baselines and noqa comments ----------------------------------------------------------------

def _load_baseline(opts: CheckOptions):
    """The baseline's keys (None without --baseline); checks the adoption options go together."""
    if opts.baseline is not None and opts.write_baseline is not None:
        raise UsageError("--baseline and --write-baseline cannot be used together")
    if opts.add_noqa and (opts.fix or opts.diff):
        raise UsageError("--add-noqa cannot be combined with --fix or --diff")
    if opts.baseline is None:
        return None
    from mcp_lint.model.errors import BaselineError
    from mcp_lint.output.baseline import load_baseline
    try:
        return load_baseline(opts.baseline)
    except BaselineError as exc:
        raise UsageError(f"--baseline: {exc}") from None


def _baseline_root(cwd: Path, settings: Settings) -> Path:
    """Baseline paths are relative to the git top level, else to the configuration's directory."""
    return _git_toplevel(cwd) or settings.root


def _baseline_step(result: RunResult, known, settings: Settings, cwd: Path, opts: CheckOptions) -> int | None:
    """--write-baseline: record the findings and stop. --baseline: keep only new findings."""
    if opts.write_baseline is None and known is None:
        return None
    from mcp_lint.output.baseline import filter_new, write_baseline
    root = _baseline_root(cwd, settings)
    if opts.write_baseline is not None:
        count = write_baseline(opts.write_baseline, result.findings, root, cwd, __version__)
        if not opts.quiet:
            print(f"Wrote {count} finding{'s' if count != 1 else ''} to {opts.write_baseline}.", file=sys.stderr)
        return ExitCode.ERROR if any(e.rule_id for e in result.errors) else ExitCode.CLEAN
    result.findings, hidden = filter_new(result.findings, known, root, cwd)
    if hidden and not opts.quiet:
        print(f"{hidden} finding{'s' if hidden != 1 else ''} in the baseline not shown.", file=sys.stderr)
    return None


def _sources(found: list[Finding], problem: str):
    """(path, source, findings) for each file with findings, read as Python reads it (byte-order
    mark, coding cookie; line endings kept) and written back the same way."""
    from mcp_lint.source.write import read_source

    by_path: dict[str, list[Finding]] = {}
    for f in found:
        by_path.setdefault(f.path, []).append(f)
    for shown in sorted(by_path):
        try:
            source = read_source(shown)
        except (OSError, UnicodeDecodeError, SyntaxError) as exc:
            _warn(f"{shown}: {problem}: {exc}")
            continue
        yield shown, source, by_path[shown]


def _add_noqa(result: RunResult, opts: CheckOptions) -> int:
    from mcp_lint.output.noqa import add_noqa

    added = 0
    for shown, source, found in _sources(result.findings, "cannot add noqa comments"):
        outcome = add_noqa(source.text, found)
        for line, reason in outcome.skipped:
            _warn(f"{shown}:{line}: no noqa comment added: {reason}", opts.quiet)
        if outcome.added:
            source.write(outcome.text)
            added += outcome.added
    if not opts.quiet:
        print(f"Added {added} noqa directive{'s' if added != 1 else ''}.", file=sys.stderr)
    return ExitCode.ERROR if any(e.rule_id for e in result.errors) else ExitCode.CLEAN


def _run(files: list[Path], rules, settings: Settings, registry: Registry, project, opts: CheckOptions,
         cwd: Path) -> RunResult:
    """runner.run behind the findings cache, with a progress bar where one is wanted."""
    from functools import partial

    from mcp_lint.run.cache import FindingsCache, cache_dir, fingerprint, run_cached
    from mcp_lint.run.scheduler import run, run_project_rules

    cache = None
    if not opts.no_cache:
        key = fingerprint(rules, settings.severity, [p.path for p in registry.packs], project)
        cache = FindingsCache(cache_dir(settings.root, settings.cache_dir, opts.cache_dir), key)
    lint = partial(run, rules=rules, settings=settings, known_codes=registry.all_codes(), jobs=opts.jobs, cwd=cwd,
                   project=project)
    progress = _progress(opts)
    if progress is None:
        result = run_cached(cache, files, cwd, settings, lint)
    else:
        with progress:
            result = run_cached(cache, files, cwd, settings, lint, on_result=progress.advance,
                                on_start=progress.start)
    run_project_rules(result, rules, settings, registry.all_codes(), cwd, cache)
    return result


def _progress(opts: CheckOptions):
    """A progress bar on stderr: only for people watching a terminal, never around a report a
    program reads (json, sarif, github), never with --quiet."""
    if opts.quiet or opts.output_format not in ("full", "concise") or opts.diff:
        return None
    try:
        if not sys.stderr.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    from mcp_lint.output.reporters.progress import ProgressBar
    return ProgressBar()


def _project_files(files: list[Path], paths: list[str], settings: Settings) -> list[Path]:
    """Where to look for servers other modules import: the files being linted, plus, for files
    passed one by one (as pre-commit does), the rest of their package."""
    extra: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            top = path.resolve().parent
            while (top.parent / "__init__.py").exists():
                top = top.parent
            if (top / "__init__.py").exists() and top != Path(top.anchor):
                extra.update(discover([str(top)], settings).files)
    return sorted(set(files) | extra)


def _write(report: Report, opts: CheckOptions) -> None:
    if opts.quiet and opts.output_format in ("full", "concise") and not report.findings:
        return
    if opts.output_file is not None:
        import io

        from mcp_lint.source.write import write_text
        try:
            opts.output_file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(str(opts.output_file), f"cannot write: {exc.strerror or exc}") from None
        buffer = io.StringIO()
        render(opts.output_format, report, buffer, color=False, statistics=opts.statistics)
        write_text(opts.output_file, buffer.getvalue())
        return
    stream: TextIO = sys.stdout
    if opts.quiet and opts.output_format == "full":
        from mcp_lint.output.reporters.text import render_concise
        render_concise(report, stream, None)
        return
    render(opts.output_format, report, stream, color=None, statistics=opts.statistics)


def _apply_fixes(result: RunResult, rules, settings: Settings, registry: Registry, opts: CheckOptions,
                 project=None) -> int | None:
    from mcp_lint.check.engine import Engine
    from mcp_lint.output.fixes import fix_text, fixable, unified_diff

    # the same engine as the lint (servers of the project's other modules included)
    engine = Engine(rules, settings.severity, registry.all_codes(), project=project)
    diffs = []
    fixed_total = 0
    for shown, source, _ in _sources([f for f in result.findings if fixable(f, opts.unsafe_fixes)], "cannot fix"):
        outcome = fix_text(engine, source.text, shown, opts.unsafe_fixes)
        for dropped in outcome.dropped:
            _warn(f"{shown}:{dropped.line}: the {dropped.rule_id} fix was not applied: the result {dropped.reason}",
                  opts.quiet)
        if outcome.fixed == outcome.original:
            continue
        fixed_total += outcome.applied
        if opts.diff:
            diffs.append(unified_diff(outcome))
        else:
            source.write(outcome.fixed)
            result.findings = [f for f in result.findings if f.path != shown] + list(outcome.result.findings)
    result.sort()
    hidden = 0 if opts.unsafe_fixes else sum(1 for f in result.findings if f.fix is not None and
                                              f.fix.applicability.value == "unsafe")
    more = f" ({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with `--unsafe-fixes`)" if hidden else ""
    if opts.diff:
        sys.stdout.write("".join(diffs))
        if not opts.quiet:
            print(f"{fixed_total} fix{'es' if fixed_total != 1 else ''} would be applied{more}.", file=sys.stderr)
        return ExitCode.FINDINGS if diffs and not opts.exit_zero else ExitCode.CLEAN
    if (fixed_total or hidden) and not opts.quiet:
        print(f"Fixed {fixed_total} finding{'s' if fixed_total != 1 else ''}{more}.", file=sys.stderr)
    return None


# -- rule documentation -------------------------------------------------------------------------

def explain_rule(code: str, packs: list[str]) -> int:
    try:
        registry = load_registry(packs)
    except PackError as exc:
        _err(str(exc))
        return ExitCode.ERROR
    rule = registry.get(code)
    if rule is None:
        _err(f"unknown rule '{code}' (see `mcp-lint rules`)")
        return ExitCode.ERROR
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
    try:
        settings = _settings(config, ["."], rule_packs=packs)
        registry = _registry(settings)
        enabled = {r.id for r in _select(registry, settings)}
    except (ConfigError, PackError, UsageError) as exc:
        _err(str(exc))
        return ExitCode.ERROR
    rows = [{"id": r.id, "name": r.name, "pack": r.pack, "severity": r.severity.value,
             "fixable": r.fix.value if r.fix else "no", "enabled": r.id in enabled} for r in registry.rules]
    if output_format == "json":
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitCode.CLEAN
    if output_format != "table":
        _err(f"--output-format: expected table or json, got {output_format!r}")
        return ExitCode.ERROR
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
        try:
            pack = load_pack(path)
            load_registry([path])  # also checks ids/names against the built-in packs
        except PackError as exc:
            _err(str(exc))
            status = ExitCode.ERROR
            continue
        print(f"{path}: ok ({len(pack.rules)} rule{'s' if len(pack.rules) != 1 else ''})")
    return status


def test_packs(paths: list[str]) -> int:
    from mcp_lint.run.examples import ExampleRunner, cases

    try:
        registry = load_registry(paths)
        packs = [load_pack(p) for p in paths]
    except PackError as exc:
        _err(str(exc))
        return ExitCode.ERROR
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
    from mcp_lint.output.model_view import describe_file

    try:
        settings = _settings(None, paths)
    except (ConfigError, UsageError) as exc:
        _err(str(exc))
        return ExitCode.ERROR
    project = scan_project(_project_files([Path(p).resolve() for p in paths if Path(p).is_file()], paths,
                                          settings))
    docs = [describe_file(p, project) for p in paths]
    if as_json:
        json.dump(docs if len(docs) != 1 else docs[0], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        from mcp_lint.output.reporters.inspect_text import render_model
        for doc in docs:
            render_model(doc, sys.stdout)
    return ExitCode.ERROR if any(d.get("error") for d in docs) else ExitCode.CLEAN
