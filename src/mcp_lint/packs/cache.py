"""The compiled-pack cache: a validated rule pack kept as JSON in the user's cache directory.

Reading and validating the YAML packs costs more than linting a small file, and validation needs
the primitives (so libcst). A validated pack is kept as JSON, keyed by the pack's bytes and this
installation's source. It is JSON, not pickle: loading it builds only the pack's own classes (an
allow-list) and plain values, so a cache file that someone else wrote (a restored CI cache) can at
worst describe a wrong rule, never run code.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp_lint import __version__
from mcp_lint.model.codec import from_json, to_json
from mcp_lint.source.read import content_digest


@functools.lru_cache(maxsize=1)
def _source_stamp() -> list:
    """Size and mtime of every module of this installation, and of the parser's package: a changed
    checkout or an upgraded libcst is a new linter."""
    out: list = []
    try:
        import importlib.util
        spec = importlib.util.find_spec("libcst")
        if spec is not None and spec.origin:
            st = os.stat(spec.origin)
            out.append((spec.origin, st.st_size, st.st_mtime_ns))
    except (ImportError, ValueError, OSError):
        pass
    stack = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                stack.append(entry.path)
            elif entry.name.endswith((".py", ".json")):
                st = entry.stat()
                out.append((entry.path, st.st_size, st.st_mtime_ns))
    return out



def user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mcp-lint"


def _pack_classes() -> dict[str, type]:
    from mcp_lint.model.findings import Applicability, Confidence, Severity
    from mcp_lint.model.knowledge import Knowledge
    from mcp_lint.model.rules import Docs, Example, Pack, Rule
    return {c.__name__: c for c in (Pack, Rule, Docs, Example, Severity, Confidence, Applicability, Knowledge)}


def load_pack_cached(path: Path | str, load: Callable[..., Any]) -> Any:
    """`load(path, data)`, answered from the compiled-pack cache when the pack and mcp-lint are
    unchanged. The pack's bytes are read once, with the loader's checks (a regular file, under
    the size limit); a cached pack is checked again before use (`verify_compiled`)."""
    return load_cached(path, load, _pack_classes(),
                       lambda pack: getattr(pack, "path", None) == str(path) and verify_compiled(pack))


def load_cached(path: Path | str, load: Callable[..., Any], classes: dict[str, type],
                verify: Callable[[Any], bool]) -> Any:
    """`load(path, data)` for a rule pack or a knowledge file, answered from the compiled cache
    when the file and mcp-lint are unchanged; what the cache holds is rebuilt from `classes`
    only and used only when `verify` accepts it."""
    from mcp_lint.packs.loader import read_pack_bytes

    data = read_pack_bytes(path)  # a PackError (not a regular file, too large, unreadable) goes up
    where = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    key = hashlib.sha256(json.dumps([__version__, list(sys.version_info[:2]), _source_stamp(), str(path),
                                     content_digest(data)]).encode()).hexdigest()[:24]
    folder = user_cache_dir() / "packs"
    target = folder / f"{where}-{key}.json"
    try:
        with open(target, encoding="utf-8") as fh:
            value = from_json(json.load(fh), classes)
        if verify(value):
            return value
    except Exception:  # noqa: BLE001 - missing, stale or damaged: compile again
        pass
    value = load(path, data)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f"{where}-*"):
            stale.unlink()
        fd, tmp = tempfile.mkstemp(prefix=".pack-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(to_json(value, objects=True), separators=(",", ":")))  # the C encoder
        os.replace(tmp, target)
    except Exception:  # noqa: BLE001 - an unwritable cache only costs time
        pass
    return value


def verify_compiled(pack: Any) -> bool:
    """Does a pack read back from the cache hold only what validation lets through where it
    matters for safety? The cache is a file anyone with access to the cache directory can write:
    messages must be plain templates and example file names relative paths. (Regular expressions
    are checked again where a primitive compiles them, `regex.pack_regex`.) Cheap, and it needs
    neither YAML nor the primitives, so a cached run still loads no parser."""
    from mcp_lint.model.rules import Pack, Rule
    from mcp_lint.model.schema import Where
    from mcp_lint.packs.loader import example_path_problem, message_problems

    if not isinstance(pack, Pack) or not isinstance(pack.rules, tuple):
        return False
    if pack.knowledge is not None:
        from mcp_lint.packs.knowledge import verify_knowledge
        if not verify_knowledge(pack.knowledge):
            return False
    for rule in pack.rules:
        if not isinstance(rule, Rule) or not isinstance(rule.message, str):
            return False
        if message_problems(rule.message, None, Where()):
            return False
        for example in (*rule.invalid, *rule.valid):
            names = [example.filename, *example.files] + ([example.lines_in] if example.lines_in else [])
            if any(example_path_problem(n) for n in names):
                return False
    return True
