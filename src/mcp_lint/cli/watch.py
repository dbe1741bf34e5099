"""`mcp-lint check --watch`: lint once, then lint again whenever Python files change and print only
what changed (new findings, fixed findings), until Ctrl-C (exit 0).

Each batch of changes (watchfiles groups them: 100 ms of quiet, at most 1.6 s) runs `check`'s
pipeline again over the same paths. The findings cache answers for every file whose bytes did not
change, so only the changed files are linted again (with `--no-cache` every file is). Findings are
compared by rule, file and fingerprint, which survive lines moving: code that only moved is not
reported. Changes under the findings cache directory, in excluded paths (exclude, extend-exclude,
.gitignore, and watchfiles' own list: .git, .venv, __pycache__, node_modules ...) and to files other
than Python sources, the configuration and its rule packs are ignored. An edit that breaks the
configuration is reported and the watch goes on; the next good configuration is used.
Everything of mcp-lint is reached through `editor_adapter`.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

import mcp_lint.cli.editor as mcp

PYTHON_SUFFIXES = (".py", ".pyi")
STEP_MS = 100  # quiet time that ends a batch of changes
DEBOUNCE_MS = 1600  # the longest a batch may gather changes

_INCOMPATIBLE = (("fix", "--fix"), ("diff", "--diff"), ("add_noqa", "--add-noqa"), ("baseline", "--baseline"),
                 ("write_baseline", "--write-baseline"), ("output_file", "--output-file"),
                 ("statistics", "--statistics"))


def _key(f: mcp.Finding) -> tuple:
    return (f.path, f.rule_id, f.fingerprint or (f.span.start_line, f.span.start_col, f.message))


def _line(f: mcp.Finding) -> str:
    return f"{f.path}:{f.span.start_line}:{f.span.start_col}: {f.rule_id} [{f.rule_name}] {f.message}"


def _color(out: TextIO) -> bool:
    try:
        return out.isatty() and "NO_COLOR" not in os.environ
    except (AttributeError, ValueError):
        return False


class Watcher:
    def __init__(self, opts, cwd: Path, out: TextIO = sys.stdout) -> None:
        self.opts = opts
        self.cwd = cwd
        self.out = out
        self.color = _color(out)
        self.project: mcp.Project | None = None
        self.files: set[Path] = set()
        self.findings: list[mcp.Finding] = []
        self.ready = False

    # -- output -------------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    # -- configuration ------------------------------------------------------------------------------
    def load(self) -> None:
        """Load the configuration as `check` does (`ConfigProblem` when it cannot be used)."""
        opts = self.opts
        if opts.config is not None:
            if not Path(opts.config).is_file():
                raise mcp.ConfigProblem(f"--config: no such file: {opts.config}")
            config: Path | None = Path(opts.config)
        else:
            start = Path(opts.paths[0]) if opts.paths else Path(".")
            config = mcp.config_file_for(start if start.exists() else self.cwd, self.cwd)
        self.project = mcp.load_project(
            config, self.cwd, select=opts.select, extend_select=opts.extend_select, ignore=opts.ignore,
            rule_packs=opts.rule_packs, extend_exclude=opts.extend_exclude, force_exclude=opts.force_exclude)

    def _reload_if_changed(self) -> bool:
        """Load the configuration again if it changed on disk; False when it is broken now."""
        assert self.project is not None
        if mcp.stamp_of(self.project) == self.project.stamp:
            return True
        try:
            self.load()
        except mcp.ConfigProblem as problem:
            self.say(self._paint(f"error: {problem} (the last good configuration stays in use)", "31"))
            self.project.stamp = mcp.stamp_of(self.project)  # report it once, until the next change
            return False
        self.say("Configuration changed: linting everything again.")
        return True

    # -- linting ------------------------------------------------------------------------------------
    def lint(self) -> mcp.TreeResult:
        assert self.project is not None
        tree = mcp.lint_tree(self.project, list(self.opts.paths), self.cwd, use_cache=not self.opts.no_cache,
                             cache_dir=self.opts.cache_dir)
        self.files = {Path(p) for p in tree.files}
        return tree

    def first(self) -> int:
        tree = self.lint()
        self.findings = tree.findings
        for error in tree.errors:
            print(f"warning: {error}", file=sys.stderr)
        assert self.project is not None
        if self.findings or self.opts.output_format == "full":
            mcp.render_report(self.project, self.findings, [str(p) for p in tree.files], self.opts.output_format,
                              self.out, self.cwd)
        return 0

    def is_set(self) -> bool:
        """watchfiles asks whether to stop once its watcher runs, and every step after: the first
        question is the moment to say that changes are seen from now on."""
        if not self.ready:
            self.ready = True
            self.say(f"Watching {len(self.files)} file{'s' if len(self.files) != 1 else ''} for changes "
                     "(Ctrl-C to stop).")
        return False

    def again(self, changed: list[str]) -> None:
        """A batch of changes: lint again, print what changed in the findings."""
        self._reload_if_changed()
        tree = self.lint()
        before, after = Counter(_key(f) for f in self.findings), Counter(_key(f) for f in tree.findings)
        new = _excess(tree.findings, after, before)
        fixed = _excess(self.findings, before, after)
        self.findings = tree.findings
        shown = ", ".join(sorted(changed)[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        stamp = time.strftime("%H:%M:%S")
        parts = ([f"{len(new)} new"] if new else []) + ([f"{len(fixed)} fixed"] if fixed else [])
        summary = ", ".join(parts) or "no new findings, none fixed"
        total = len(self.findings)
        self.say(f"[{stamp}] {shown} changed: {summary} ({total} finding{'s' if total != 1 else ''} in all)")
        for f in new:
            self.say(self._paint("+ " + _line(f), "31"))
        for f in fixed:
            self.say(self._paint("- " + _line(f), "32"))
        for error in tree.errors:
            self.say(f"warning: {error}")

    # -- what to watch --------------------------------------------------------------------------------
    def roots(self) -> list[Path]:
        """Directories to watch: each directory given, the parent of each file given."""
        roots: list[Path] = []
        for raw in self.opts.paths:
            path = (self.cwd / raw).resolve()
            roots.append(path if path.is_dir() else path.parent)
        roots = sorted(set(roots), key=lambda p: len(p.parts))
        kept: list[Path] = []
        for root in roots:
            if not any(root == k or k in root.parents for k in kept):
                kept.append(root)
        return kept

    def wanted(self, change, path: str) -> bool:
        """Whether a change matters: a Python file that is (or was) linted, the configuration."""
        assert self.project is not None
        p = Path(path)
        if p in {Path(w).resolve() for w in self.project.watched_files}:
            return True
        try:
            p.relative_to(self.project.cache_dir.resolve())
            return False
        except ValueError:
            pass
        if p.name == ".gitignore":
            return True
        if p.suffix not in PYTHON_SUFFIXES:
            return False
        if p in self.files:
            return True
        if not self._under_paths(p) or not p.exists():
            return False
        return not mcp.is_excluded(self.project, p)

    def _under_paths(self, p: Path) -> bool:
        for raw in self.opts.paths:
            given = (self.cwd / raw).resolve()
            if p == given or given in p.parents:
                return True
        return False

    def shown(self, path: str) -> str:
        try:
            return Path(path).relative_to(self.cwd).as_posix()
        except ValueError:
            return path


def _excess(findings: list[mcp.Finding], mine: Counter, other: Counter) -> list[mcp.Finding]:
    """The findings whose key occurs more often in `mine` than in `other` (the last ones of each key)."""
    left = {k: n - other.get(k, 0) for k, n in mine.items() if n > other.get(k, 0)}
    out = []
    for f in reversed(findings):
        k = _key(f)
        if left.get(k, 0) > 0:
            left[k] -= 1
            out.append(f)
    return list(reversed(out))


def watch(opts) -> int:
    """`mcp-lint check --watch`: exit 0 on Ctrl-C, 2 on a usage or configuration error at start."""
    for attr, flag in _INCOMPATIBLE:
        if getattr(opts, attr):
            print(f"error: --watch cannot be combined with {flag}", file=sys.stderr)
            return 2
    if opts.output_format not in ("full", "concise"):
        print("error: --watch prints findings for people: use --output-format full or concise", file=sys.stderr)
        return 2
    try:
        import watchfiles
    except ImportError:
        print("error: --watch needs the watch extra (watchfiles is missing): pip install 'mcp-lint[watch]'",
              file=sys.stderr)
        return 2
    cwd = Path.cwd()
    missing = [p for p in opts.paths if not (cwd / p).exists()]
    if missing:
        for p in missing:
            print(f"error: {p}: no such file or directory", file=sys.stderr)
        return 2
    watcher = Watcher(opts, cwd)
    try:
        watcher.load()
    except mcp.ConfigProblem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    default = watchfiles.DefaultFilter()
    try:
        watcher.first()
        for changes in watchfiles.watch(*watcher.roots(), watch_filter=lambda c, p: default(c, p) and watcher.wanted(c, p),
                                        debounce=DEBOUNCE_MS, step=STEP_MS, stop_event=watcher,
                                        raise_interrupt=False):
            watcher.again(sorted({watcher.shown(p) for _, p in changes}))
    except KeyboardInterrupt:
        pass
    watcher.say("Stopped watching.")
    return 0
