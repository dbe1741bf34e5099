"""`mcp-lint check`: from the command line's options to a report and an exit code.

The steps, in order: check that the options go together; resolve the settings (the nearest
`[tool.mcp-lint]` governs each file, as ruff's hierarchical configuration does, unless `--config`
names one for all); discover the files; run the pipeline (run/pipeline.py) once per configuration;
apply fixes, then lint the fixed tree again; the baseline; the report; the exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from mcp_lint import __version__
from mcp_lint.cli.outcome import ExitCode, error, note, warning
from mcp_lint.model.errors import OutputError, UsageError
from mcp_lint.model.findings import FileError, Finding, Severity
from mcp_lint.model.results import RunResult
from mcp_lint.model.rules import Rule
from mcp_lint.model.settings import Settings
from mcp_lint.cli.settings import Scope
from mcp_lint.source.config import find_config
from mcp_lint.source.discovery import discover, display

STDIN = "-"
FORMATS_WITH_STATISTICS = ("full", "concise", "json")


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
    # Adoption and CI: baselines, noqa comments, the SARIF category, the failing severity.
    baseline: Path | None = None
    write_baseline: Path | None = None
    add_noqa: bool = False
    sarif_category: str | None = None
    fail_on: str | None = None
    min_confidence: str | None = None
    # Inspecting the configuration, and editors.
    show_settings: bool = False
    show_files: bool = False
    stdin_filename: str | None = None


def check(opts: CheckOptions) -> int:
    from mcp_lint.cli.settings import base_settings, scope_for

    _check_options(opts)
    cwd = Path.cwd()
    if opts.paths == [STDIN]:
        return _check_stdin(opts, cwd)
    base = base_settings(opts, opts.paths)
    found = discover(opts.paths, base)
    if opts.show_files:
        return _show_files(found)
    scopes = _scopes(found.files, base, opts, scope_for)
    if opts.show_settings:
        from mcp_lint.cli.settings import show_settings
        return show_settings(scopes)
    known = _load_baseline(opts)
    problems = [FileError(path, "no such file or directory", fatal=True) for path in found.missing]
    problems += [FileError(path, problem) for path, problem in found.errors]
    for path in found.missing:
        error(f"{path}: no such file or directory{_did_you_mean(path)}")
    for path, problem in found.errors:
        warning(f"{path}: {problem}", opts.quiet)
    facts = _facts_store(scopes[0], opts)
    project = project_index(found.files, opts.paths, base, facts.facts if facts is not None else None,
                            jobs=opts.jobs if opts.jobs > 0 else (os.cpu_count() or 1))
    notices = facts.warnings if facts is not None else []
    if facts is not None:
        facts.save()
    result = _lint(scopes, project, opts, cwd, notices)
    if opts.fix or opts.diff:
        code, changed = _apply_fixes(result, scopes, project, opts)
        if code is not None:
            return code
        if changed:  # the report after fixing is a check of the fixed tree, by the same pipeline
            result = _lint(scopes, project, opts, cwd, [])
    result.errors = sorted(problems + result.errors, key=lambda e: (e.path, e.line or 0, e.message))
    if opts.write_baseline is not None:
        return _write_baseline(result, base, cwd, opts)
    if known is not None:
        _filter_baseline(result, known, base, cwd, opts)
    if opts.add_noqa:
        return _add_noqa(result, opts)
    _report(result, scopes, base, opts, cwd)
    return _exit_code(result, scopes, opts)


# -- options -------------------------------------------------------------------------------------

def _check_options(opts: CheckOptions) -> None:
    if opts.baseline is not None and opts.write_baseline is not None:
        raise UsageError("--baseline and --write-baseline cannot be used together")
    if opts.add_noqa and (opts.fix or opts.diff):
        raise UsageError("--add-noqa cannot be combined with --fix or --diff")
    if opts.statistics and opts.output_format not in FORMATS_WITH_STATISTICS:
        raise UsageError(f"--statistics: not available with --output-format {opts.output_format} "
                         f"(use {', '.join(FORMATS_WITH_STATISTICS)})")
    if STDIN in opts.paths and opts.paths != [STDIN]:
        raise UsageError("'-' (read the source from stdin) cannot be combined with other paths")
    if opts.stdin_filename is not None and opts.paths != [STDIN]:
        raise UsageError("--stdin-filename needs '-' as the path: mcp-lint check - --stdin-filename PATH")
    if opts.paths == [STDIN] and (opts.add_noqa or opts.write_baseline is not None):
        raise UsageError("--add-noqa and --write-baseline need files, not stdin")
    if opts.min_confidence is not None and opts.min_confidence not in ("high", "medium", "low"):
        raise UsageError(f"--min-confidence: expected one of high, medium, low, got {opts.min_confidence!r}")
    if opts.fail_on is not None and opts.fail_on not in {s.value for s in Severity}:
        raise UsageError(f"--fail-on: expected one of error, warning, info, got {opts.fail_on!r}")
    if opts.unsafe_fixes and not (opts.fix or opts.diff):
        warning("--unsafe-fixes has no effect without --fix or --diff", opts.quiet)


def _did_you_mean(path: str) -> str:
    """`mcp-lint chekc .` is read as a path: name the command it looks like."""
    import difflib

    from mcp_lint.cli.outcome import COMMANDS
    close = difflib.get_close_matches(path, COMMANDS, n=1, cutoff=0.7)
    return f" (did you mean the command `mcp-lint {close[0]}`?)" if close and "/" not in path else ""


# -- settings and scopes -------------------------------------------------------------------------

def _scopes(files: list[Path], base: Settings, opts: CheckOptions, scope_for) -> list[Scope]:
    """Files grouped by the configuration that governs each: the nearest pyproject.toml with a
    `[tool.mcp-lint]` table above it, unless `--config` names one for every file."""
    scopes: dict[Path | None, Scope] = {base.config_file: scope_for(base, opts)}
    if opts.config is not None:
        scopes[base.config_file].files = list(files)
        return list(scopes.values())
    nearest: dict[Path, Path | None] = {}
    for path in files:
        folder = path.parent
        if folder not in nearest:
            nearest[folder] = find_config(folder)
        config = nearest[folder] or base.config_file
        if config not in scopes:
            from mcp_lint.cli.settings import settings_from
            scopes[config] = scope_for(settings_from(config, opts), opts)
        scopes[config].files.append(path)
    return [s for s in scopes.values() if s.files] or [scopes[base.config_file]]


def project_index(files: list[Path], paths: list[str], settings: Settings, cache=None, jobs: int = 1):
    """The project's modules joined (project/index.py): the files being linted, plus, for files
    passed one by one (as pre-commit does), the rest of their package. `cache` (content digest ->
    facts) spares re-reading the modules that did not change."""
    from mcp_lint.project.index import build
    from mcp_lint.run.scheduler import tune_gc

    tune_gc()  # the scan allocates a syntax tree per module, as the lint does
    extra: set[Path] = set()
    scanned: set[Path] = set()  # each package (or script folder) once, however many of its files are passed
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            top = path.resolve().parent
            while (top.parent / "__init__.py").exists():
                top = top.parent
            if top in scanned:
                continue
            scanned.add(top)
            if (top / "__init__.py").exists() and top != Path(top.anchor):
                extra.update(discover([str(top)], settings).files)
            elif not (top / "__init__.py").exists():  # a script: its sibling modules
                extra.update(p for p in top.glob("*.py") if p.is_file())
    return build(sorted(set(files) | extra), cache, shown=display, jobs=jobs)


# -- linting -------------------------------------------------------------------------------------

def _lint(scopes: list[Scope], project, opts: CheckOptions, cwd: Path, notices: list[str]) -> RunResult:
    """The pipeline once per configuration, behind the findings cache, with a progress bar where
    one is wanted."""
    from mcp_lint.run import pipeline
    from mcp_lint.run.cache import FindingsCache, cache_dir, fingerprint
    from mcp_lint.run.scheduler import LintJob

    out = RunResult()
    bar = _progress(opts)
    for scope in scopes:
        settings, registry = scope.settings, scope.registry
        cache = None
        if not opts.no_cache:
            key = fingerprint(scope.rules, settings, registry.input_paths)
            cache = FindingsCache(cache_dir(settings.root, settings.cache_dir, opts.cache_dir), key,
                                  registry.all_codes())
        job = LintJob(scope.rules, settings, registry.all_codes(), project=project, jobs=opts.jobs,
                      knowledge=registry.knowledge)
        if bar is None:
            result = pipeline.run(scope.files, job, cwd, cache)
        else:
            with bar:
                result = pipeline.run(scope.files, job, cwd, cache, pipeline.Progress(bar.start, bar.advance))
        out.extend(result)
    out.sort()
    for message in dict.fromkeys([*notices, *out.warnings]):  # each said once
        warning(message, opts.quiet)
    return out


def _facts_store(scope: Scope, opts: CheckOptions):
    """Where the project scan keeps each module's facts, by content (None with --no-cache)."""
    if opts.no_cache:
        return None
    from mcp_lint.run.cache import FactsCache, cache_dir
    return FactsCache(cache_dir(scope.settings.root, scope.settings.cache_dir, opts.cache_dir))


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


def _check_stdin(opts: CheckOptions, cwd: Path) -> int:
    """`mcp-lint check - --stdin-filename PATH`: lint the source on stdin as if it were PATH (its
    configuration, per-file-ignores and package); with --fix, print the fixed source."""
    from mcp_lint.cli.settings import base_settings, scope_for
    from mcp_lint.run import pipeline
    from mcp_lint.run.scheduler import LintJob

    name = opts.stdin_filename or "stdin.py"
    path = Path(name)
    settings = base_settings(opts, [name] if path.exists() else ["."])
    scope = scope_for(settings, opts)
    data = sys.stdin.buffer.read()
    project = project_index([path.resolve()] if path.exists() else [], [name] if path.exists() else [], settings)
    job = LintJob(scope.rules, settings, scope.registry.all_codes(), project=project,
                  knowledge=scope.registry.knowledge)
    shown = display(path.resolve(), cwd) if path.is_absolute() or path.exists() else name
    result = pipeline.run_source(data, Path(name), shown, job)
    if opts.fix or opts.diff:
        from mcp_lint.output.fixes import fix_text, unified_diff
        from mcp_lint.run.filters import PerFileIgnores
        from mcp_lint.run.scheduler import make_engine

        text = data.decode("utf-8", "surrogateescape")
        ignores = PerFileIgnores(settings)
        outcome = fix_text(make_engine(job), text, shown, opts.unsafe_fixes,
                           keep=lambda found: ignores.filter(Path(name), found))
        sys.stdout.write(unified_diff(outcome) if opts.diff else outcome.fixed)
        result = pipeline.run_source(outcome.fixed.encode("utf-8", "surrogateescape"), Path(name), shown, job)
        if opts.fix:  # stdout holds the code: the findings go to stderr
            opts = replace(opts, output_file=None)
            _report(result, [scope], settings, replace(opts, output_format="concise"), cwd, stream=sys.stderr)
            return _exit_code(result, [scope], opts)
    result.files = [shown]
    _report(result, [scope], settings, opts, cwd)
    return _exit_code(result, [scope], opts)


# -- fixes ---------------------------------------------------------------------------------------

def _apply_fixes(result: RunResult, scopes: list[Scope], project, opts: CheckOptions) -> tuple[int | None, bool]:
    """Apply fixes file by file to a fixpoint, with the engine and the filters of the run (so a
    finding that per-file-ignores hides is not fixed). Returns (exit code to stop with, whether
    any file changed)."""
    from mcp_lint.output.fixes import fix_text, fixable, unified_diff
    from mcp_lint.run.filters import PerFileIgnores
    from mcp_lint.run.scheduler import LintJob, make_engine

    scope_of = {display(path): scope for scope in scopes for path in scope.files}
    engines: dict[int, tuple] = {}
    diffs = []
    fixed_total = 0
    for shown, source, _ in _sources([f for f in result.findings if fixable(f, opts.unsafe_fixes)], "cannot fix",
                                     opts.quiet):
        scope = scope_of.get(shown, scopes[0])
        if id(scope) not in engines:
            job = LintJob(scope.rules, scope.settings, scope.registry.all_codes(), project=project,
                          knowledge=scope.registry.knowledge)
            engines[id(scope)] = (make_engine(job), PerFileIgnores(scope.settings))
        engine, ignores = engines[id(scope)]
        outcome = fix_text(engine, source.text, shown, opts.unsafe_fixes,
                           keep=lambda found, path=Path(shown): ignores.filter(path, found))
        for dropped in outcome.dropped:
            warning(f"{shown}:{dropped.line}: the {dropped.rule_id} fix was not applied: the result {dropped.reason}",
                    opts.quiet)
        if outcome.fixed == outcome.original:
            continue
        fixed_total += outcome.applied
        if opts.diff:
            diffs.append(unified_diff(outcome))
        else:
            source.write(outcome.fixed)
    hidden = _hidden_fixes(result, opts)
    if opts.diff:
        sys.stdout.write("".join(diffs))
        note(f"{fixed_total} fix{'es' if fixed_total != 1 else ''} would be applied{hidden}.", opts.quiet)
        return (ExitCode.FINDINGS if diffs and not opts.exit_zero else ExitCode.CLEAN), False
    if fixed_total or hidden:
        note(f"Fixed {fixed_total} finding{'s' if fixed_total != 1 else ''}{hidden}.", opts.quiet)
    return None, fixed_total > 0


def _hidden_fixes(result: RunResult, opts: CheckOptions) -> str:
    if opts.unsafe_fixes:
        return ""
    from mcp_lint.output.fixes import fixable
    hidden = sum(1 for f in result.findings if fixable(f, True) and not fixable(f, False))
    return (f" ({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the `--unsafe-fixes` option)"
            if hidden else "")


def _sources(found: list[Finding], problem: str, quiet: bool):
    """(path, source, findings) for each file with findings, read as Python reads it (byte-order
    mark, coding cookie; line endings kept) and written back the same way (`source.write`)."""
    from mcp_lint.source.write import read_source

    by_path: dict[str, list[Finding]] = {}
    for f in found:
        by_path.setdefault(f.path, []).append(f)
    for shown in sorted(by_path):
        if os.path.islink(shown):  # edited only through the file it points to, never through a link
            warning(f"{shown}: {problem}: a symbolic link is not edited", quiet)
            continue
        try:
            source = read_source(shown)
        except (OSError, UnicodeDecodeError, SyntaxError) as exc:
            warning(f"{shown}: {problem}: {exc}", quiet)
            continue
        yield shown, source, by_path[shown]


# -- baselines and noqa comments -----------------------------------------------------------------

def _load_baseline(opts: CheckOptions):
    """The baseline's keys (None without --baseline)."""
    if opts.baseline is None:
        return None
    from mcp_lint.output.baseline import load_baseline
    return load_baseline(opts.baseline)


def _baseline_root(cwd: Path, settings: Settings) -> Path:
    """Baseline paths are relative to the git top level, else to the configuration's directory."""
    return git_toplevel(cwd) or settings.root


def _write_baseline(result: RunResult, settings: Settings, cwd: Path, opts: CheckOptions) -> int:
    from mcp_lint.output.baseline import write_baseline
    count = write_baseline(opts.write_baseline, result.findings, _baseline_root(cwd, settings), cwd, __version__)
    note(f"Wrote {count} finding{'s' if count != 1 else ''} to {opts.write_baseline}.", opts.quiet)
    return ExitCode.ERROR if _fatal(result) else ExitCode.CLEAN


def _filter_baseline(result: RunResult, known, settings: Settings, cwd: Path, opts: CheckOptions) -> None:
    from mcp_lint.output.baseline import filter_new
    result.findings, hidden = filter_new(result.findings, known, _baseline_root(cwd, settings), cwd)
    if hidden:
        note(f"{hidden} finding{'s' if hidden != 1 else ''} in the baseline not shown.", opts.quiet)


def _add_noqa(result: RunResult, opts: CheckOptions) -> int:
    from mcp_lint.output.noqa import add_noqa

    added = 0
    for shown, source, found in _sources(result.findings, "cannot add noqa comments", opts.quiet):
        outcome = add_noqa(source.text, found)
        for line, reason in outcome.skipped:
            warning(f"{shown}:{line}: no noqa comment added: {reason}", opts.quiet)
        if outcome.added:
            source.write(outcome.text)
            added += outcome.added
    note(f"Added {added} noqa directive{'s' if added != 1 else ''}.", opts.quiet)
    return ExitCode.ERROR if _fatal(result) else ExitCode.CLEAN


# -- report and exit code ------------------------------------------------------------------------

def git_toplevel(cwd: Path) -> Path | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True, text=True,
                             timeout=10, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def _report(result: RunResult, scopes: list[Scope], base: Settings, opts: CheckOptions, cwd: Path,
            stream=None) -> None:
    from mcp_lint.output.reporters import Report, render

    rules: dict[str, Rule] = {}
    enabled: dict[str, Rule] = {}
    for scope in scopes:
        rules.update({r.id: r for r in scope.registry.rules})
        enabled.update({r.id: r for r in scope.rules})
    report = Report(findings=result.findings, files=result.files, rules=rules, enabled=list(enabled.values()),
                    errors=result.errors, version=__version__,
                    sarif_root=(git_toplevel(cwd) or cwd) if opts.output_format in ("sarif", "json", "github")
                    else None,
                    cwd=cwd, fixable_hint=not opts.fix, sarif_category=opts.sarif_category,
                    severity=dict(base.severity), quiet=opts.quiet)
    for e in result.errors:
        if e.rule_id:
            error(f"{e.path}: {e.message}")
        elif not e.fatal:
            warning(f"{e.path}: {e.message}", opts.quiet)
    if not result.files and not any(e.fatal for e in result.errors):
        warning("no Python files to lint", opts.quiet)
    elif not [r for r in enabled.values() if r.primitive != "parse-error"]:
        warning("no rules are enabled (only parse errors are reported): nothing was checked", opts.quiet)
    if opts.output_file is not None:
        _write_report(report, opts)
        return
    out = stream if stream is not None else sys.stdout
    if opts.quiet and opts.output_format == "full" and not opts.statistics:
        from mcp_lint.output.reporters.text import render_concise
        render_concise(report, out, None)
        return
    render(opts.output_format, report, out, color=None, statistics=opts.statistics)


def _write_report(report, opts: CheckOptions) -> None:
    import io

    from mcp_lint.output.reporters import render
    from mcp_lint.source.write import write_text

    buffer = io.StringIO()
    render(opts.output_format, report, buffer, color=False, statistics=opts.statistics)
    path = opts.output_file
    assert path is not None
    if path.is_dir():
        raise OutputError(str(path), "is a directory: --output-file needs a file path")
    write_text(path, buffer.getvalue(), make_parents=True)


def _fatal(result: RunResult) -> bool:
    return any(e.fatal or e.rule_id for e in result.errors)


def _exit_code(result: RunResult, scopes: list[Scope], opts: CheckOptions) -> int:
    if _fatal(result):
        return ExitCode.ERROR
    if opts.exit_zero:
        return ExitCode.CLEAN
    threshold = opts.fail_on or next((s.settings.fail_on for s in scopes if s.settings.fail_on), None) or "info"
    rank = Severity(threshold).rank
    return ExitCode.FINDINGS if any(f.severity.rank >= rank for f in result.findings) else ExitCode.CLEAN


def _show_files(found) -> int:
    for path in found.files:
        print(display(path))
    for path in found.missing:
        warning(f"{path}: no such file or directory")
    for path, problem in found.errors:
        warning(f"{path}: skipped: {problem}")
    return ExitCode.ERROR if found.missing else ExitCode.CLEAN
