"""Project-level facts gathered before the per-file analysis: which modules create servers.

Larger servers build the server object in one module (`app.py: mcp = FastMCP(...)`) and
decorate tools in others (`from .app import mcp` then `@mcp.tool()`), or subclass a server
class in one module and instantiate it in another. Each file is otherwise analysed alone,
so this pass finds those definitions once per run: a regular expression picks the few files
that may define a server at module level, and only those are parsed. Names are keyed by
every dotted suffix of the module path, so `from src.common.server import mcp`,
`from common.server import mcp` and `from .server import mcp` all find `common/server.py`.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from .analysis import sdk
from .analysis.mcp_model import build_model
from .analysis.module_index import build_index
from .engine import MAX_FILE_BYTES, decode

_SERVER_NAMES = "|".join(sorted({k.rsplit(".", 1)[-1] for k in sdk.SERVER_CONSTRUCTORS}))
# A module-level assignment from a server constructor, or a class deriving from a server class.
_CANDIDATE = re.compile(rf"^(?:\w+\s*(?::[^=\n]+)?=\s*[\w.]*(?:{_SERVER_NAMES})\(|class\s+\w+\([^)]*\b(?:{_SERVER_NAMES})\b)",
                        re.MULTILINE)


@dataclass(frozen=True)
class ProjectIndex:
    # "module.path.name" suffixes -> (flavour, constructor) for module-level servers
    servers: dict[str, tuple[str, str]] = field(default_factory=dict)
    # "module.path.Class" suffixes -> (flavour, server base class) for server subclasses
    server_classes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @staticmethod
    def _lookup(table: dict[str, tuple[str, str]], qualname: str) -> tuple[str, str] | None:
        name = qualname.lstrip(".")
        parts = name.split(".")
        for i in range(len(parts) - 1):  # longest suffix first; at least module + name
            hit = table.get(".".join(parts[i:]))
            if hit is not None:
                return hit
        return None

    def server(self, qualname: str) -> tuple[str, str] | None:
        return self._lookup(self.servers, qualname)

    def server_class(self, qualname: str) -> tuple[str, str] | None:
        return self._lookup(self.server_classes, qualname)

    def __bool__(self) -> bool:
        return bool(self.servers or self.server_classes)


def _module_suffixes(path: Path) -> list[str]:
    """`/x/proj-1.0/src/common/server.py` -> ["src.common.server", "common.server", "server"]."""
    parts = list(path.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    tail: list[str] = []
    for part in reversed(parts):
        if not part.isidentifier():
            break
        tail.insert(0, part)
    return [".".join(tail[i:]) for i in range(len(tail))]


def scan_project(files: list[Path]) -> ProjectIndex:
    servers: dict[str, tuple[str, str]] = {}
    classes: dict[str, tuple[str, str]] = {}
    for path in files:
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                continue  # a FIFO or device named *.py would block the read
            with open(path, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError:
            continue
        if len(data) > MAX_FILE_BYTES or not _CANDIDATE.search(data.decode("utf-8", "replace")):
            continue
        text, _, _ = decode(data)
        if text is None:
            continue
        try:
            index = build_index(cst.parse_module(text))
            model = build_model(index)
        except Exception:  # noqa: BLE001 - the file's own lint reports what is wrong with it
            continue
        suffixes = _module_suffixes(path.resolve())
        for server in model.servers:
            if server.binding and "." not in server.binding and not server.from_parameter and \
                    server.binding in index.module_bindings:
                for suffix in suffixes:
                    servers.setdefault(f"{suffix}.{server.binding}", (server.flavour, server.constructor))
        for name, cls in index.classes.items():
            for base in cls.bases:
                flavour = sdk.SERVER_CLASSES.get(base)
                if flavour:
                    for suffix in suffixes:
                        classes.setdefault(f"{suffix}.{name}", (flavour, base))
    return ProjectIndex(servers, classes)
