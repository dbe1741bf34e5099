"""The one door through which the editor integration reaches mcp-lint's pipeline.

`mcp-lint server` (cli/lsp.py) and `mcp-lint check --watch` (cli/watch.py) use nothing of
mcp-lint but what this module exports: loading the configuration of a project, linting a
text, fixing a text, adding a noqa comment, a rule's documentation, and the `check` pipeline
over a tree (findings cache and project rules included). Each function is a thin call into the
piece that already does the job, so when modules move only the imports below change.

Everything here is synchronous and holds no global state; a `Project` is one loaded
configuration (settings, registry, selected rules) with the engine built for it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mcp_lint.model.errors import LintError
from mcp_lint.model.findings import Applicability, Finding, Severity

if TYPE_CHECKING:
    from mcp_lint.check.engine import Engine
    from mcp_lint.model.rules import Rule
    from mcp_lint.model.settings import Settings
    from mcp_lint.packs.registry import Registry

__all__ = [
    "Applicability", "ConfigProblem", "Finding", "Project", "Severity", "TreeResult", "add_noqa", "apply_fix",
    "config_file_for", "fix_all", "help_uri", "is_excluded", "lint_document", "lint_tree", "load_project",
    "render_report", "rule", "rule_doc", "stamp_files", "stamp_of", "suppression_codes", "tune_gc",
]


class ConfigProblem(Exception):
    """A configuration or rule pack that cannot be used: where (file, 1-based line) and what."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
        super().__init__(where + message)


@dataclass(eq=False)
class Project:
    """One configuration ([tool.mcp-lint] of `config_file`, or the defaults at `root`)."""

    root: Path
    config_file: Path | None
    settings: Settings
    registry: Registry
    rules: list[Rule]
    stamp: tuple  # the configuration's and rule packs' (path, mtime, size) when loaded
    scan_tree: bool = True  # look for servers in the other modules under `root` (False: a lone file)
    _index: Any = field(default=None, repr=False)  # servers other modules define (None: not scanned)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def cache_dir(self) -> Path:
        from mcp_lint.run.cache import cache_dir
        return cache_dir(self.settings.root, self.settings.cache_dir)

    @property
    def watched_files(self) -> list[Path]:
        """Files whose change changes the configuration: the settings file and the rule packs."""
        return ([self.config_file] if self.config_file else []) + list(self.settings.rule_packs) + \
            list(self.settings.knowledge_files)

    def forget_index(self) -> None:
        """A Python file changed on disk: servers other modules define may have changed too."""
        self._index = None


def config_file_for(path: Path, fallback: Path | None = None) -> Path | None:
    """The nearest pyproject.toml with [tool.mcp-lint] above `path`, else above `fallback`:
    what `mcp-lint check PATH` run from `fallback` reads."""
    from mcp_lint.source.config import find_config
    return find_config(path) or (find_config(fallback) if fallback is not None else None)


def _stamp(paths) -> tuple:
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((str(p), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(p), None, None))
    return tuple(out)


def stamp_files(paths) -> tuple:
    """(path, mtime, size) of each file: equal stamps, unchanged files."""
    return _stamp(paths)


def stamp_of(project: Project) -> tuple:
    """The current stamp of `project`'s configuration files (compare with `project.stamp`)."""
    return _stamp(project.watched_files)


def load_project(config_file: Path | None, root: Path, scan_tree: bool = True, **overrides: Any) -> Project:
    """Settings, registry and selected rules as `check` loads them; `ConfigProblem` otherwise.
    `overrides` are the command line's: select, extend_select, ignore, rule_packs, extend_exclude,
    force_exclude. `scan_tree=False` keeps `lint_document` from reading the tree under `root` for
    servers that other modules define (a file opened on its own, outside any project)."""
    from mcp_lint.cli.settings import select
    from mcp_lint.packs.registry import load_registry
    from mcp_lint.source.config import load_settings

    try:
        settings = load_settings(config_file, root, **overrides)
        registry = load_registry(settings.rule_packs, settings.knowledge_files)
        rules = select(registry, settings)
    except LintError as exc:
        path = exc.path if exc.path is not None else (str(config_file) if config_file else None)
        raise ConfigProblem(exc.message, path, exc.line) from None
    files = ([config_file] if config_file else []) + list(settings.rule_packs) + list(settings.knowledge_files)
    return Project(settings.root, config_file, settings, registry, rules, _stamp(files), scan_tree)


# -- one document -------------------------------------------------------------------------------

def _project_index(project: Project):
    """Servers the project's other modules define, as `check` over the project root sees them."""
    if project._index is None:
        from mcp_lint.cli.check import project_index
        from mcp_lint.source.discovery import discover

        root = str(project.root)
        files = discover([root], project.settings).files if project.scan_tree else []
        project._index = project_index(files, [root] if project.scan_tree else [], project.settings)
        project._engine = None
    return project._index


def _engine(project: Project) -> Engine:
    index = _project_index(project)
    if project._engine is None:
        from mcp_lint.run.scheduler import LintJob, make_engine

        job = LintJob(project.rules, project.settings, project.registry.all_codes(), project=index,
                      knowledge=project.registry.knowledge)
        project._engine = make_engine(job, timeout=project.settings.file_timeout)
    return project._engine


def lint_document(project: Project, path: Path, text: str) -> list[Finding]:
    """The findings of `text` (a buffer, saved or not) as `check` reports them for `path`:
    suppression comments and per-file-ignores applied. A text that does not parse gives MCP001."""
    from mcp_lint.run.filters import PerFileIgnores

    result = _engine(project).lint_text(text, str(path))
    return PerFileIgnores(project.settings).filter(path, result.findings)


def apply_fix(text: str, finding: Finding) -> str:
    """`text` with `finding`'s fix applied (identical edits once)."""
    from mcp_lint.output.fixes import apply_edits
    return apply_edits(text, [finding])[0]


def fix_all(project: Project, path: Path, text: str, unsafe: bool = False) -> str:
    """`text` with every safe (or, with `unsafe`, every) fix applied, to a fixpoint, as `--fix`
    does; unchanged when a fix would leave code that does not parse."""
    from mcp_lint.output.fixes import fix_text
    from mcp_lint.run.filters import PerFileIgnores

    ignores = PerFileIgnores(project.settings)
    return fix_text(_engine(project), text, str(path), unsafe, keep=lambda found: ignores.filter(path, found)).fixed


def add_noqa(text: str, finding: Finding) -> str | None:
    """`text` with a `# noqa: CODE` comment that silences `finding` (None: none can be added)."""
    from mcp_lint.output.noqa import add_noqa as add
    outcome = add(text, [finding])
    return outcome.text if outcome.added else None


def rule(project: Project, code: str) -> Rule | None:
    return project.registry.get(code)


def rule_doc(project: Project, code: str) -> str | None:
    """The rule's documentation in Markdown, as `mcp-lint rule CODE` prints it."""
    found = project.registry.get(code)
    if found is None:
        return None
    from mcp_lint.output.docs import rule_markdown
    return rule_markdown(found)


def suppression_codes(line: str) -> list[tuple[int, int, str]]:
    """(start, end, code) of each code in the suppression comments of one line of Python
    (`# noqa: A, B`, `# mcp-lint: ignore[A]`, `# mcp-lint: file-ignore[A]`); 0-based columns."""
    from mcp_lint.source.suppressions import _IGNORE, _NOQA

    out = []
    for pattern in (_NOQA, _IGNORE):
        for m in pattern.finditer(line):
            if m.group("codes"):
                base = m.start("codes")
                out += [(base + c.start(), base + c.end(), c.group(0))
                        for c in re.finditer(r"[A-Za-z0-9_\-]+", m.group("codes"))]
    return out


def help_uri(code: str) -> str:
    """The rule's documentation page: the SARIF reporter's `helpUri`."""
    from mcp_lint.output.reporters.sarif import DOCS_URI
    return DOCS_URI.format(id=code)


def is_excluded(project: Project, path: Path) -> bool:
    """True when the configuration excludes `path` (exclude, extend-exclude, .gitignore): what
    `check --force-exclude PATH` skips, whether or not the file exists yet (an unsaved buffer).
    The findings cache directory is always excluded."""
    absolute = Path(os.path.abspath(path))
    try:
        absolute.relative_to(Path(os.path.abspath(project.cache_dir)))
        return True
    except ValueError:
        pass
    from mcp_lint.source.discovery import _Ignores
    return _Ignores(project.settings).excluded(absolute, False, absolute.parent)


# -- a tree, as `check` runs it ---------------------------------------------------------------------

@dataclass
class TreeResult:
    files: list[Path]  # absolute paths of the Python files examined
    findings: list[Finding]  # paths relative to `cwd`, manifests (MCP601) included
    errors: list[str]  # problems that are not findings ("path: message")


def lint_tree(project: Project, paths: list[str], cwd: Path, use_cache: bool = True,
              cache_dir: Path | None = None) -> TreeResult:
    """`mcp-lint check PATHS` from `cwd` with `project`'s configuration, in this process and
    serially: files unchanged since the last run come from the findings cache."""
    import gc

    from mcp_lint.cli.check import CheckOptions, _lint, project_index
    from mcp_lint.cli.settings import Scope
    from mcp_lint.source.discovery import discover

    found = discover(paths, project.settings)
    index = project_index(found.files, paths, project.settings)
    opts = CheckOptions(paths=paths, jobs=1, quiet=True, no_cache=not use_cache, cache_dir=cache_dir)
    scope = Scope(project.settings, project.registry, project.rules, list(found.files))
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    gc.collect()  # the runner freezes what is alive when it starts: let nothing dead be frozen
    try:
        result = _lint([scope], index, opts, cwd, [])
    finally:
        if not frozen:  # leave the collector as the caller had it
            gc.unfreeze()
            gc.set_threshold(*threshold)
    errors = [f"{p}: no such file or directory" for p in found.missing]
    errors += [f"{p}: {problem}" for p, problem in found.errors]
    errors += [f"{e.path}: {e.message}" for e in result.errors]
    return TreeResult(list(found.files), list(result.findings), errors)


def tune_gc() -> None:
    """Collector settings for a process that parses all day, as the runner sets them for a run:
    what is loaded now is frozen, and young objects are collected less often (parsing allocates
    millions of short-lived, acyclic nodes; the default thresholds double a lint's time)."""
    import gc

    from mcp_lint.run.scheduler import tune_gc
    gc.collect()
    tune_gc()


def render_report(project: Project, findings: list[Finding], files: list[str], fmt: str, out: TextIO,
                  cwd: Path) -> None:
    """The findings as `check --output-format FMT` prints them (full or concise)."""
    from mcp_lint import __version__
    from mcp_lint.output.reporters import Report, render

    report = Report(findings=findings, files=files, rules={r.id: r for r in project.registry.rules},
                    enabled=project.rules, version=__version__, cwd=cwd, fixable_hint=True,
                    severity=dict(project.settings.severity))
    render(fmt, report, out)
