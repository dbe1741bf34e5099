"""The problems a user can fix: one hierarchy, each carrying where it is.

Every user-facing failure (a bad configuration, rule pack, baseline, path, command or output
file) is a `LintError` with the file and, when known, the line it concerns. The CLI turns any
of them into one line on stderr and exit code 2; nothing below the CLI prints. Anything else
that escapes is a bug in mcp-lint: the CLI prints its traceback with a request to report it,
and also exits 2.
"""

from __future__ import annotations


class LintError(Exception):
    """A user-facing problem: `path:line: message` (path and line when known)."""

    def __init__(self, path: str | None, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(self.located())

    def located(self) -> str:
        if self.path is None:
            return self.message
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class ConfigError(LintError):
    """`[tool.mcp-lint]` (or a `--config` file) says something mcp-lint cannot use."""


class PackError(LintError):
    """A rule pack (or knowledge file) cannot be read or does not validate."""


class BaselineError(LintError):
    """A `--baseline` file that is not one mcp-lint wrote."""


class UsageError(LintError):
    """Command-line options or paths that do not go together or do not exist."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(path, line, message)


class OutputError(LintError):
    """A report, baseline or fixed file that cannot be written."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, None, message)
