"""The findings cache: a file whose content and whose analysis inputs are unchanged is not linted again.

One JSON document per cache directory (`.mcp_lint_cache/` beside the configuration, or
`--cache-dir`, `cache-dir`, `MCP_LINT_CACHE_DIR`). It holds a fingerprint of everything that
decides a file's findings apart from the file itself, and, per shown path, the hash of the file's
bytes and the file's findings *before* any filter applied after linting (per-file-ignores): those
filters run on cached and fresh results alike, so changing them never needs a re-lint.

The fingerprint covers the mcp-lint version and its installed source (size and mtime of every
module, so an upgrade or an edited checkout invalidates), the Python version, the enabled rules,
the settings that change results, and the content of every loaded rule pack. A file's findings
also depend on what *other* modules say about it (servers they create, its functions they register
as tools: project/index.py): each file's entry is keyed by its content and by the digest of that
context, so a change elsewhere re-lints exactly the files whose context it changes.

The document is read once and written once, by the parent process, atomically. The directory is
input from whoever wrote the repository (run/cache_dir.py): no link in it is followed, only regular
files are read, every entry is validated against the file it describes (spans inside it, rule ids
known) before it is used, and only files mcp-lint names are ever removed. A missing, unreadable,
corrupt or foreign cache is treated as empty; one that cannot be written (read-only directory,
full disk) is skipped. Cached data is plain JSON, never pickle: a cache cannot run code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
import sys
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mcp_lint import __version__
from mcp_lint.model.codec import decode_result, encode_finding, encode_result, to_json
from mcp_lint.packs.cache import _source_stamp
from mcp_lint.source.read import content_digest
from mcp_lint.run.cache_dir import CacheDirectory
from mcp_lint.model.findings import FileResult

DIRNAME = ".mcp_lint_cache"
ENV_DIR = "MCP_LINT_CACHE_DIR"
FORMAT = 3
# One file per fingerprint, so that runs with different inputs (the whole tree, then a few files
# passed one by one as pre-commit does, which see a smaller project model) do not evict each other.
# The least recently written beyond this many are removed.
KEEP = 8
_FINDINGS_FILE = re.compile(r"findings-v\d+-[0-9a-f]{20}\.json")
_DIGEST_CHUNK = 1 << 20


def cache_dir(root: Path, configured: Path | None = None, option: Path | None = None) -> Path:
    """`--cache-dir`, else $MCP_LINT_CACHE_DIR, else `cache-dir` from the settings, else beside the config."""
    if option is not None:
        return option
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env)
    return configured if configured is not None else root / DIRNAME


def digest_of(path: Path, limit: int | None = None) -> str | None:
    """The content digest of a regular file, read in chunks (None for anything else: a FIFO named
    *.py would block the read; the engine reports such paths itself; and None for a file over
    `limit` bytes, which the engine refuses without reading)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or (limit is not None and st.st_size > limit):
            return None
        h = hashlib.blake2b(digest_size=16)
        with open(path, "rb") as fh:
            while chunk := fh.read(_DIGEST_CHUNK):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


# Settings that act before or after linting, never on a file's own findings: what is linted
# (discovery), where the cache lives, and the filters applied to cached and fresh results alike.
# Every other setting is part of the cache key, so a new one cannot be forgotten.
_NOT_IN_KEY = frozenset({"root", "config_file", "exclude", "extend_exclude", "respect_gitignore", "force_exclude",
                         "cache_dir", "per_file_ignores", "min_confidence", "fail_on"})


def fingerprint(rules: Iterable[Any], settings: Any, pack_paths: Iterable[str]) -> str:
    """Everything except the file itself and its project context that decides a file's findings."""
    packs = []
    for path in sorted(set(pack_paths)):
        try:
            packs.append((path, content_digest(Path(path).read_bytes())))
        except OSError:
            packs.append((path, None))
    data = {
        "format": FORMAT, "version": __version__, "python": list(sys.version_info[:2]),
        "source": _source_stamp(), "rules": sorted(r.id for r in rules),
        "settings": _settings_key(settings), "packs": packs,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _settings_key(settings: Any) -> list:
    """The settings that can change a file's findings, as plain data."""
    out = []
    for f in dataclasses.fields(settings):
        if f.name in _NOT_IN_KEY:
            continue
        value = getattr(settings, f.name)
        if isinstance(value, dict):
            value = sorted((str(k), getattr(v, "value", v)) for k, v in value.items())
        out.append((f.name, value))
    return out


class FindingsCache:
    """A passive store: per shown path, the content digest and the unfiltered result; and the
    project stage's results under a digest of its inputs. Read once, written once (`save`)."""

    PROJECT_VARIANTS = 8

    def __init__(self, directory: Path, key: str, known_codes: Iterable[str] = ()) -> None:
        self.directory = directory
        self.store_dir = CacheDirectory(directory)
        self.known_codes = frozenset(known_codes)
        self.key = key
        # shown path -> [[digest, encoded findings, encoded facts], ...]: the latest first, and one
        # earlier variant (the same file seen from a whole-tree run and from a pre-commit run may
        # have different project contexts, so different digests: neither evicts the other).
        self.entries: dict[str, list] = {}
        # The project stage's results (findings in manifests) under a digest of its inputs: the
        # latest few (a whole-tree run and pre-commit runs on parts of it alternate).
        self.project: dict[str, list] = {}
        self.dirty = False
        self.path = directory / f"findings-v{FORMAT}-{key[:20]}.json"
        self._load()

    @property
    def warnings(self) -> list[str]:
        return self.store_dir.warnings

    def _load(self) -> None:
        doc = self.store_dir.read_json(self.path.name)
        if isinstance(doc, dict) and doc.get("key") == self.key and isinstance(doc.get("files"), dict):
            self.entries = doc["files"]
            if isinstance(doc.get("project"), dict):
                self.project = doc["project"]

    VARIANTS = 2

    def lookup(self, shown: str, digest: str | None, size: int | None = None) -> FileResult | None:
        """The cached result for `shown` with this digest; `size` (the file's bytes) bounds the spans
        an entry may hold. An entry that does not describe the file is dropped."""
        variants = self.entries.get(shown)
        if digest is None or not isinstance(variants, list):
            return None
        for entry in variants:
            if not isinstance(entry, list) or len(entry) != 3 or entry[0] != digest:
                continue
            try:
                result = decode_result(shown, entry[1], entry[2])
            except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError):
                break
            if self._plausible(result, size):
                return result
            break
        else:
            return None
        self.entries.pop(shown, None)  # a damaged entry is linted again and rewritten
        self.dirty = True
        return None

    def _plausible(self, result: FileResult, size: int | None) -> bool:
        """Does a decoded entry describe a file of `size` bytes, with rules that exist?"""
        limit = size if size is not None else 1 << 40
        for f in result.findings:
            spans = [f.span, *(t.span for t in f.trace), *(e.span for e in (f.fix.edits if f.fix else ()))]
            if self.known_codes and f.rule_id not in self.known_codes:
                return False
            for span in spans:
                if not (1 <= span.start_line <= span.end_line <= limit + 1 and span.start_col >= 1 and
                        span.end_col >= 1 and 0 <= span.start_offset <= span.end_offset <= limit):
                    return False
        return True

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
        earlier = [e for e in self.entries.get(result.path) or () if isinstance(e, list) and e[:1] != [digest]]
        self.entries[result.path] = [entry, *earlier][: self.VARIANTS]
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
                    manifests[str(path)] = digest_of(path)
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
            out = [(Path(path), decode_result(shown, findings, to_json({}))) for path, shown, findings in entry]
            return out if all(self._plausible(result, None) for _, result in out) else None
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError):
            self.project.pop(key, None)
            self.dirty = True
            return None

    def store_project(self, key: str | None, outcomes: list[tuple[Path, FileResult]]) -> None:
        if not key or any(result.errors for _, result in outcomes):
            return
        earlier = [(k, v) for k, v in self.project.items() if k != key][-(self.PROJECT_VARIANTS - 1):]
        self.project = dict(earlier)
        self.project[key] = [[str(path), result.path, [encode_finding(f) for f in result.findings]]
                             for path, result in outcomes]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        doc = {"key": self.key, "files": self.entries, "project": self.project}
        if self.store_dir.write_json(self.path.name, doc):
            self.dirty = False
            self.store_dir.prune(_FINDINGS_FILE, KEEP)


class FactsCache:
    """Each module's project facts (project/scan.py) by the digest of its content: the project scan
    reads a module again only when it changed. Plain JSON in the cache directory, version-keyed;
    written once, atomically; a damaged or foreign file is ignored."""

    KEEP = 50_000  # entries kept from earlier runs besides this run's

    def __init__(self, directory: Path) -> None:
        self.store_dir = CacheDirectory(directory)
        self.name = f"facts-v{FORMAT}.json"
        doc = self.store_dir.read_json(self.name)
        self._loaded: dict[str, Any] = {}
        if isinstance(doc, dict) and doc.get("version") == __version__ and isinstance(doc.get("facts"), dict):
            self._loaded = doc["facts"]
        self.facts = _Tracking(self._loaded)

    @property
    def warnings(self) -> list[str]:
        return self.store_dir.warnings

    def save(self) -> None:
        """Written when this run scanned something new; a run that only read (a pre-commit run
        on unchanged files) writes nothing."""
        if not self.facts.added:
            return
        used = self.facts.used
        keep = {k: v for k, v in self._loaded.items() if k not in used}
        keep = dict(list(keep.items())[-self.KEEP:])
        keep.update(used)
        self.store_dir.write_json(self.name, {"version": __version__, "facts": keep})


class _Tracking(dict):
    """A dict that remembers which keys this run read or wrote."""

    def __init__(self, loaded: dict) -> None:
        super().__init__(loaded)
        self.used: dict[str, Any] = {}
        self.added = False

    def __contains__(self, key: object) -> bool:
        found = super().__contains__(key)
        if found and isinstance(key, str):
            self.used[key] = super().__getitem__(key)
        return found

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.used[key] = value
        self.added = True
