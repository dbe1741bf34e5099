"""Paths -> the sorted, de-duplicated list of Python files to lint.

Exclude patterns use .gitignore syntax (a bare name matches at any depth, a pattern with a
slash is anchored at the configuration's directory). `.gitignore` files are honoured from
the repository root down, nested ones included (`globs` matches them as git does, in time
that no pattern can make exponential). Files given explicitly are always linted, unless
`--force-exclude` asks for excludes to apply to them too (pre-commit passes every changed
file explicitly).
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from mcp_lint.model.settings import Settings
from mcp_lint.source.globs import GlobSpec

# Larger files are not linted (reported as skipped): generated code, data dumps.
MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, problem)
    missing: list[str] = field(default_factory=list)  # explicit paths that do not exist


def _spec(patterns) -> GlobSpec:
    return GlobSpec.from_lines(patterns)


class _Ignores:
    def __init__(self, settings: Settings) -> None:
        self.root = settings.root
        self.exclude = _spec(list(settings.exclude) + list(settings.extend_exclude))
        self.respect_gitignore = settings.respect_gitignore
        self.gitignores: dict[Path, GlobSpec | None] = {}
        self.chains: dict[Path, list[Path]] = {}
        self.tops: dict[Path, Path | None] = {}

    def _relative(self, path: Path, base: Path) -> str | None:
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            return None

    def excluded(self, path: Path, is_dir: bool, scan_root: Path) -> bool:
        rel = self._relative(path, self.root) or self._relative(path, scan_root)
        if rel is None:
            rel = path.name
        if rel and rel != "." and self.exclude.match_file(rel + ("/" if is_dir else "")):
            return True
        return self.respect_gitignore and self._gitignored(path, is_dir)

    def _gitignored(self, path: Path, is_dir: bool) -> bool:
        for directory in self._chain(path.parent):
            spec = self._load(directory)
            if spec is None:
                continue
            rel = self._relative(path, directory)
            if rel and spec.match_file(rel + ("/" if is_dir else "")):
                return True
        return False

    def _chain(self, start: Path) -> list[Path]:
        """`start` and its parents up to the repository root (just `start` outside a repository):
        the directories whose .gitignore applies to what `start` holds."""
        chain = self.chains.get(start)
        if chain is None:
            top = self._top(start) or start
            if start == top or start.parent == start:
                chain = [start]
            else:
                chain = [start, *self._chain(start.parent)] if top in start.parents else [start]
            self.chains[start] = chain
        return chain

    def _top(self, directory: Path) -> Path | None:
        """The repository root holding `directory` (None outside one), one `.git` probe per directory."""
        if directory not in self.tops:
            if (directory / ".git").exists():
                self.tops[directory] = directory
            else:
                self.tops[directory] = None if directory.parent == directory else self._top(directory.parent)
        return self.tops[directory]

    def _load(self, directory: Path) -> GlobSpec | None:
        if directory not in self.gitignores:
            spec = None
            gitignore = directory / ".gitignore"
            if gitignore.is_file():
                try:
                    data = gitignore.read_bytes()
                except OSError:
                    data = b""
                # git reads bytes: a name that is not UTF-8 matches as os.walk decodes it
                # (surrogateescape); a BOM is skipped, as git skips it.
                text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
                lines = [line.removesuffix("\r") for line in text.split("\n")]  # git's lines, CRLF too
                spec = GlobSpec.from_lines(lines) or None
            self.gitignores[directory] = spec
        return self.gitignores[directory]


def discover(paths: list[str], settings: Settings) -> Discovery:
    """The Python files under `paths`. A symbolic link to a file is followed only when its
    target lies inside one of the linted paths (or the configuration's root): a link that
    leaves them (`leak.py -> /etc/passwd`) is skipped and said, as ruff does."""
    out = Discovery()
    ignores = _Ignores(settings)
    seen: set[Path] = set()
    roots = [Path(os.path.realpath(p if os.path.isdir(p) and not os.path.islink(p) else
                                   os.path.dirname(os.path.abspath(p))))
             for p in paths if os.path.lexists(p)] + [Path(os.path.realpath(settings.root))]

    def leaves(link: Path) -> bool:
        target = Path(os.path.realpath(link))
        return not any(target == r or r in target.parents for r in roots)

    def add(p: Path) -> None:
        if p not in seen:
            seen.add(p)
            out.files.append(p)

    for raw in paths:
        path = Path(raw)
        if not os.path.lexists(path):
            out.missing.append(raw)
            continue
        absolute = Path(os.path.abspath(path))
        if path.is_symlink() and not path.exists():
            out.errors.append((raw, _dangling(path)))
            continue
        if path.is_file() or not path.is_dir():
            if settings.force_exclude and ignores.excluded(absolute, False, absolute.parent):
                continue
            if path.is_symlink() and leaves(path):
                out.errors.append((raw, "skipped: a symbolic link to a file outside the linted paths"))
                continue
            add(absolute)
            continue
        if settings.force_exclude and absolute != settings.root and ignores.excluded(absolute, True, absolute):
            continue
        scan_root = absolute
        for dirpath, dirnames, filenames in os.walk(absolute, followlinks=False, onerror=lambda e, r=raw: out.errors.append(
                (e.filename or r, f"cannot list directory: {e.strerror}"))):
            base = Path(dirpath)
            kept = []
            for d in sorted(dirnames):
                full = base / d
                if full.is_symlink() or ignores.excluded(full, True, scan_root):
                    continue
                kept.append(d)
            dirnames[:] = kept
            for name in sorted(filenames):
                if not name.endswith((".py", ".pyi")):
                    continue
                full = base / name
                if ignores.excluded(full, False, scan_root):
                    continue
                if full.is_symlink() and not full.exists():
                    out.errors.append((display(full), _dangling(full)))
                    continue
                if full.is_symlink() and leaves(full):
                    out.errors.append((display(full), "skipped: a symbolic link to a file outside the linted paths"))
                    continue
                add(full)
    out.files.sort()
    return out


def _dangling(link: Path) -> str:
    try:
        os.stat(link)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"


def display(path: Path, cwd: Path | None = None) -> str:
    """How a path is shown: relative to the working directory when under it."""
    cwd = cwd or Path.cwd()
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()
