"""The cache directory, treated as input from a stranger.

The findings cache lives in the linted repository (`.mcp_lint_cache/`), so a cloned repository
controls what is there. mcp-lint therefore:

- never follows a symbolic link in it: a cache directory that is a link, is not a directory, or
  belongs to another user is not used (said once); files are opened with `O_NOFOLLOW`, new files
  are created with `O_EXCL`, and a marker file that exists as a link is left alone;
- reads only regular files (checked on the open descriptor, opened non-blocking, so a FIFO
  cannot hang a run), of a bounded size, and treats anything it cannot parse as an empty cache;
- removes only files whose names it gives (`findings-v*-<hex>.json`, `.mcp-lint-<pid>-*.tmp`) and
  that are regular files owned by the user: pruning and the clean-up of temporary files left by a
  run that was killed never touch anything else.

At worst a damaged cache costs a re-lint.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import time
from pathlib import Path
from typing import Any

MAX_CACHE_BYTES = 512 * 1024 * 1024
STALE_TMP_SECONDS = 3600
TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
       "# This file is a cache directory tag created by mcp-lint.\n"
       "# For information about cache directory tags see https://bford.info/cachedir/\n")
_TMP = re.compile(r"\.mcp-lint-(\d+)-[0-9a-f]{16}\.tmp")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class CacheDirectory:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.warnings: list[str] = []
        self._usable: bool | None = None

    # -- whether to use it -----------------------------------------------------------------------
    def usable(self, create: bool = False) -> bool:
        """Is the directory ours to read (and, with `create`, to write)? Said once when it is not."""
        if self._usable is False and self.warnings:  # refused for what it is: not asked again
            return False
        if self._usable is not None and (self._usable or not create):
            return self._usable
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            if not create:
                return False
            try:
                os.makedirs(self.path, exist_ok=True)
                st = os.lstat(self.path)
            except OSError:
                self._usable = False
                return False
        except OSError:
            self._usable = False
            return False
        problem = None
        if stat.S_ISLNK(st.st_mode):
            problem = "is a symbolic link"
        elif not stat.S_ISDIR(st.st_mode):
            problem = "is not a directory"
        elif hasattr(os, "getuid") and st.st_uid != os.getuid():
            problem = "belongs to another user"
        if problem is not None:
            self.warnings.append(f"{self.path}: not used as the findings cache: it {problem}")
            self._usable = False
            return False
        self._usable = True
        if create:
            self._markers()
        return True

    def _markers(self) -> None:
        for name, text in (("CACHEDIR.TAG", TAG), (".gitignore", "# Created by mcp-lint.\n*\n")):
            try:
                fd = os.open(self.path / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
            except OSError:
                continue  # there already (as a file, or as a link we leave alone)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)

    # -- reading and writing -----------------------------------------------------------------------
    def read_json(self, name: str) -> Any:
        """The JSON document `name`, or None: missing, not a regular file, too large, unreadable,
        not JSON, or nested too deep to parse."""
        if not self.usable():
            return None
        try:
            fd = os.open(self.path / name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_CACHE_BYTES:
                return None
            with os.fdopen(fd, "rb") as fh:
                fd = -1
                data = fh.read(MAX_CACHE_BYTES + 1)
        except OSError:
            return None
        finally:
            if fd >= 0:
                os.close(fd)
        try:
            return json.loads(data)
        except (ValueError, RecursionError, MemoryError):
            return None

    def write_json(self, name: str, doc: Any) -> bool:
        """Write `doc` as `name` atomically (a fresh temporary file, then a rename that replaces the
        name itself, never what a link there points to). False when it cannot."""
        if not self.usable(create=True):
            return False
        self.remove_stale_temporaries()
        tmp = self.path / f".mcp-lint-{os.getpid()}-{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        except OSError:
            return False
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, separators=(",", ":"))
            os.replace(tmp, self.path / name)
            return True
        except (OSError, TypeError, ValueError):
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return False

    # -- removing only what is ours ---------------------------------------------------------------
    def _ours(self, entry: os.DirEntry) -> bool:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and (not hasattr(os, "getuid") or st.st_uid == os.getuid())

    def prune(self, pattern: re.Pattern[str], keep: int) -> None:
        """Keep the `keep` most recently written files whose names match `pattern`."""
        if not self.usable():
            return
        try:
            entries = [e for e in os.scandir(self.path) if pattern.fullmatch(e.name) and self._ours(e)]
            entries.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime, reverse=True)
            for old in entries[keep:]:
                os.unlink(old.path)
        except OSError:
            pass

    def remove_stale_temporaries(self) -> None:
        """Temporary files of runs that died (killed mid-write): their process is gone, or they
        are older than an hour."""
        try:
            entries = list(os.scandir(self.path))
        except OSError:
            return
        now = time.time()
        for entry in entries:
            m = _TMP.fullmatch(entry.name)
            if m is None or not self._ours(entry):
                continue
            pid = int(m.group(1))
            try:
                old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_TMP_SECONDS
                if old or (pid != os.getpid() and not _alive(pid)):
                    os.unlink(entry.path)
            except OSError:
                continue


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    return True
