"""The findings cache: a file whose content and whose analysis inputs are unchanged is not linted again.

One JSON document per cache directory (`.mcp_lint_cache/` beside the configuration, or
`--cache-dir`, `cache-dir`, `MCP_LINT_CACHE_DIR`). It holds a fingerprint of everything that
decides a file's findings apart from the file itself, and, per shown path, the hash of the file's
bytes and the file's findings *before* any filter applied after linting (per-file-ignores): those
filters run on cached and fresh results alike, so changing them never needs a re-lint.

The fingerprint covers the mcp-lint version and its installed source (size and mtime of every
module, so an upgrade or an edited checkout invalidates), the Python version, the enabled rules,
the severity overrides, the content of every loaded rule pack, and the project model: a file's
findings depend on servers defined in *other* files (see project.py), so any change to that model
invalidates every entry.

The document is read once and written once, by the parent process, atomically (a temporary file
then `os.replace`). A missing, unreadable, corrupt or foreign cache is treated as empty; a cache
that cannot be written (read-only directory, full disk) is skipped silently. Cached data is plain
JSON, never pickle: a cache directory checked into a repository cannot run code.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mcp_lint import __version__
from mcp_lint.model.codec import decode_result, encode_finding, encode_result, to_json
from mcp_lint.packs.cache import _source_stamp, file_digest
from mcp_lint.model.findings import FileResult

DIRNAME = ".mcp_lint_cache"
ENV_DIR = "MCP_LINT_CACHE_DIR"
FORMAT = 2
# One file per fingerprint, so that runs with different inputs (the whole tree, then a few files
# passed one by one as pre-commit does, which see a smaller project model) do not evict each other.
# The least recently written beyond this many are removed.
KEEP = 8
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by mcp-lint.\n"
        "# For information about cache directory tags see https://bford.info/cachedir/\n")


def cache_dir(root: Path, configured: Path | None = None, option: Path | None = None) -> Path:
    """`--cache-dir`, else $MCP_LINT_CACHE_DIR, else `cache-dir` from the settings, else beside the config."""
    if option is not None:
        return option
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env)
    return configured if configured is not None else root / DIRNAME


def _digest_of(path: Path) -> str | None:
    """The content digest of a regular file (None for anything else: a FIFO named *.py would
    block the read; the engine reports such paths itself)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as fh:
            return file_digest(fh.read())
    except OSError:
        return None


def fingerprint(rules: Iterable[Any], severity: dict, pack_paths: Iterable[str], project: Any) -> str:
    """Everything except the file itself that decides a file's findings."""
    packs = []
    for path in sorted(set(pack_paths)):
        try:
            packs.append((path, file_digest(Path(path).read_bytes())))
        except OSError:
            packs.append((path, None))
    servers = sorted(getattr(project, "servers", {}).items()) if project is not None else []
    classes = sorted(getattr(project, "server_classes", {}).items()) if project is not None else []
    data = {
        "format": FORMAT, "version": __version__, "python": list(sys.version_info[:2]),
        "source": _source_stamp(), "rules": sorted(r.id for r in rules),
        "severity": sorted((k, getattr(v, "value", v)) for k, v in severity.items()),
        "packs": packs, "project": [servers, classes],
        "options": sorted((r.id, sorted(r.options.items())) for r in rules if getattr(r, "options", None)),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class FindingsCache:
    def __init__(self, directory: Path, key: str) -> None:
        self.directory = directory
        self.key = key
        self.entries: dict[str, list] = {}  # shown path -> [content digest, encoded FileResult]
        # The project stage's results (findings in manifests) under a digest of its inputs.
        self.project: dict[str, list] = {}
        self.dirty = False
        self.path = directory / f"findings-v{FORMAT}-{key[:20]}.json"
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError):
            return
        if isinstance(doc, dict) and doc.get("key") == self.key and isinstance(doc.get("files"), dict):
            self.entries = doc["files"]
            if isinstance(doc.get("project"), dict):
                self.project = doc["project"]

    def lookup(self, shown: str, digest: str | None) -> FileResult | None:
        entry = self.entries.get(shown)
        if digest is None or not isinstance(entry, list) or len(entry) != 3 or entry[0] != digest:
            return None
        try:
            return decode_result(shown, entry[1], entry[2])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            self.entries.pop(shown, None)  # a damaged entry is linted again and rewritten
            self.dirty = True
            return None

    def store(self, digest: str | None, result: FileResult) -> None:
        """Remember an unfiltered result. Results with errors (an unreadable file, a rule that
        crashed) are not cached: they are worth retrying; nor are transient ones (a worker that
        died, a time budget spent: the run, not the file, decided them), nor results holding data
        that has no plain JSON form."""
        try:
            if digest is None or result.errors or result.transient:
                raise TypeError
            entry = [digest, *encode_result(result)]
        except TypeError:
            if self.entries.pop(result.path, None) is not None:
                self.dirty = True
            return
        self.entries[result.path] = entry
        self.dirty = True

    # -- the project stage ------------------------------------------------------------------------
    # Its results depend on the per-file facts (fresh or cached), the governing manifests' bytes and
    # the working directory (paths in messages): with those unchanged, a warm run need not load the
    # project rules, and with them the parser, at all.

    def project_key(self, facts: dict, cwd: Path) -> str | None:
        from mcp_lint.source.manifests import ManifestIndex

        index = ManifestIndex()
        manifests: dict[str, str | None] = {}
        for raw in facts:
            for path in index.governing_paths(Path(raw)):
                if str(path) not in manifests:
                    manifests[str(path)] = _digest_of(path)
        try:
            data = json.dumps([str(cwd), to_json(dict(sorted(facts.items()))), sorted(manifests.items())])
        except TypeError:
            return None
        return hashlib.sha256(data.encode()).hexdigest()

    def lookup_project(self, key: str | None) -> list[tuple[Path, FileResult]] | None:
        entry = self.project.get(key) if key else None
        if not isinstance(entry, list):
            return None
        try:
            return [(Path(path), decode_result(shown, findings, to_json({}))) for path, shown, findings in entry]
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            self.project.pop(key, None)
            self.dirty = True
            return None

    def store_project(self, key: str | None, outcomes: list[tuple[Path, FileResult]]) -> None:
        if not key or any(result.errors for _, result in outcomes):
            return
        self.project = {key: [[str(path), result.path, [encode_finding(f) for f in result.findings]]
                              for path, result in outcomes]}
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# Created by mcp-lint.\n*\n")):
                marker = self.directory / name
                if not marker.exists():
                    marker.write_text(text, encoding="utf-8")
            fd, tmp = tempfile.mkstemp(prefix=".findings-", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"key": self.key, "files": self.entries, "project": self.project}, fh,
                              separators=(",", ":"))
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            return  # a cache that cannot be written only costs the next run time
        self.dirty = False
        self._prune()

    def _prune(self) -> None:
        try:
            others = sorted(self.directory.glob("findings-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in others[KEEP:]:
                old.unlink()
        except OSError:
            pass


def run_cached(cache: FindingsCache | None, files: list[Path], cwd: Path, settings: Any,
               run: Callable[..., Any], on_result: Callable[[str, FileResult], None] | None = None,
               on_start: Callable[[int], None] | None = None) -> Any:
    """`run(files, on_result=...)` (runner.run with its other arguments bound) over the files the
    cache does not answer for, merged with the cached results, in the order and form a full run
    gives. Per-file-ignores apply to cached results here and to fresh ones in the runner."""
    if cache is None:
        if on_start is not None:
            on_start(len(files))
        return run(files, on_result=on_result)
    from mcp_lint.source.discovery import display
    from mcp_lint.run.filters import PerFileIgnores

    digests: dict[str, str | None] = {}
    hits: list[tuple[Path, FileResult]] = []
    misses: list[Path] = []
    for path in files:
        digest = _digest_of(path)
        hit = cache.lookup(display(path, cwd), digest)
        if hit is None:
            digests[str(path)] = digest
            misses.append(path)
        else:
            hits.append((path, hit))

    def record(path: str, result: FileResult) -> None:
        cache.store(digests.get(path), result)
        if on_result is not None:
            on_result(path, result)

    if on_start is not None:
        on_start(len(misses))
    result = run(misses, on_result=record) if misses else None
    if result is None:
        from mcp_lint.model.results import RunResult
        result = RunResult()
    result.files = [display(path, cwd) for path in files]
    ignores = PerFileIgnores(settings)
    for path, hit in hits:
        result.findings.extend(ignores.filter(path, hit.findings))
        if hit.facts:
            result.facts[str(path)] = hit.facts
    result.sort()
    cache.save()
    return result


