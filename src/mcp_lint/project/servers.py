"""Project-level facts gathered before the per-file analysis: which modules create servers.

Larger servers build the server object in one module (`app.py: mcp = FastMCP(...)`) and
decorate tools in others (`from .app import mcp` then `@mcp.tool()`), or subclass a server
class in one module and instantiate it in another. Each file is otherwise analysed alone,
so this pass finds those definitions once per run, from the text alone (no parse): module-level
assignments from a server constructor and classes deriving from a server class, resolved
through the file's import lines. Names are keyed by
every dotted suffix of the module path, so `from src.common.server import mcp`,
`from common.server import mcp` and `from .server import mcp` all find `common/server.py`.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from mcp_lint.analysis import sdk
from mcp_lint.source.discovery import MAX_FILE_BYTES

_SERVER_NAMES = "|".join(sorted({k.rsplit(".", 1)[-1] for k in sdk.SERVER_CONSTRUCTORS}))
# A module-level assignment from a server constructor, or a class deriving from a server class.
_CANDIDATE = re.compile(rf"^(?:\w+\s*(?::[^=\n]+)?=\s*[\w.]*(?:{_SERVER_NAMES})\(|class\s+\w+\([^)]*\b(?:{_SERVER_NAMES})\b)",
                        re.MULTILINE)
_ASSIGNMENT = re.compile(rf"^(\w+)\s*(?::[^=\n]+)?=\s*([\w.]*(?:{_SERVER_NAMES}))\(", re.MULTILINE)
_SUBCLASS = re.compile(r"^class\s+(\w+)\(([^)]*)\)", re.MULTILINE)
_FROM_IMPORT = re.compile(r"^from\s+([\w.]+)\s+import\s+(\([^)]*\)|[^\n#]+)", re.MULTILINE)
_IMPORT = re.compile(r"^import\s+([^\n#]+)", re.MULTILINE)


def _aliases(text: str) -> dict[str, str]:
    """The module-level import aliases of a source, read from its text."""
    out: dict[str, str] = {}
    for module, names in _FROM_IMPORT.findall(text):
        for item in names.strip("()").replace("\n", " ").split(","):
            parts = item.split()
            if not parts or parts[0] == "*":
                continue
            out[parts[-1] if len(parts) == 3 and parts[1] == "as" else parts[0]] = f"{module}.{parts[0]}"
    for names in _IMPORT.findall(text):
        for item in names.split(","):
            parts = item.split()
            if parts:
                out[parts[-1] if len(parts) == 3 and parts[1] == "as" else parts[0].split(".")[0]] = (
                    parts[0] if len(parts) == 3 else parts[0].split(".")[0])
    return out


def _resolve(name: str, aliases: dict[str, str]) -> str:
    head, _, rest = name.partition(".")
    target = aliases.get(head, head)
    return f"{target}.{rest}" if rest else target


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
        if len(data) > MAX_FILE_BYTES:
            continue
        text = data.decode("utf-8", "replace")
        if not _CANDIDATE.search(text):
            continue
        aliases = _aliases(text)
        suffixes = _module_suffixes(path.resolve())
        for name, ctor in _ASSIGNMENT.findall(text):
            qual = _resolve(ctor, aliases)
            flavour = sdk.SERVER_CONSTRUCTORS.get(qual)
            if flavour:
                for suffix in suffixes:
                    servers.setdefault(f"{suffix}.{name}", (flavour, qual))
        for name, bases in _SUBCLASS.findall(text):
            for base in (b.strip() for b in bases.split(",")):
                qual = _resolve(base, aliases)
                flavour = sdk.SERVER_CLASSES.get(qual)
                if flavour:
                    for suffix in suffixes:
                        classes.setdefault(f"{suffix}.{name}", (flavour, qual))
    return ProjectIndex(servers, classes)
