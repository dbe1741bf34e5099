"""The resolved settings of a run: configuration file values overridden by the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mcp_lint.model.findings import Severity
from mcp_lint.model.selection import Layer

DEFAULT_EXCLUDES = (".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "build", "dist", "node_modules",
                    "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
                    ".eggs", "*.egg-info", "site-packages")


DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024
DEFAULT_FILE_TIMEOUT = 30.0
DEFAULT_FIX_TIMEOUT = 30.0


@dataclass(frozen=True)
class Settings:
    root: Path  # paths in the config are relative to this directory
    config_file: Path | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    rule_packs: tuple[Path, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    respect_gitignore: bool = True
    cache_dir: Path | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes
    file_timeout: float = DEFAULT_FILE_TIMEOUT  # seconds per file
    fix_timeout: float = DEFAULT_FIX_TIMEOUT  # the timeout fixes add (MCP401)
    force_exclude: bool = False
    fail_on: str | None = None  # the lowest severity that makes the exit code 1 (None: any finding)
    min_confidence: str | None = None  # findings below this confidence are not reported (None: all)
    # Command-line selection: a second layer applied over the configuration's.
    cli_select: tuple[str, ...] | None = None
    cli_extend_select: tuple[str, ...] = ()
    cli_ignore: tuple[str, ...] = ()

    def selection_layers(self):
        return [Layer(self.select, self.ignore, self.extend_select),
                Layer(self.cli_select, self.cli_ignore, self.cli_extend_select)]
