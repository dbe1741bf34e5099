"""How a command ends: its exit code, and the one place where failures become messages.

Exit codes are a contract CI reads: 0 nothing to report, 1 findings (at or above `--fail-on`),
2 the run cannot be trusted: a usage, configuration, rule-pack, baseline, path or output problem
(one line naming what and where, no traceback), an internal error in a rule, or a bug in
mcp-lint (its traceback, with a request to report it). Never 1 for a failure, never 0 after one.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from enum import IntEnum

from mcp_lint import __version__
from mcp_lint.model.errors import LintError
from mcp_lint.model.text import escape

ISSUES_URL = "https://github.com/mcp-lint/mcp-lint/issues"
# The subcommands: any other first argument is a path for `check`.
COMMANDS = ("check", "rule", "rules", "test-rules", "validate-pack", "inspect", "server", "audit")


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    ERROR = 2


def error(message: str) -> None:
    """One line on stderr; paths and messages are escaped (a file name can hold a newline)."""
    print(f"error: {escape(message)}", file=sys.stderr)


def warning(message: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"warning: {escape(message)}", file=sys.stderr)


def note(message: str, quiet: bool = False) -> None:
    if not quiet:
        print(escape(message), file=sys.stderr)


def guarded(command: Callable[[], int]) -> int:
    """Run a command: a user-facing failure is one line and exit 2; a bug is a traceback, a request
    to report it, and exit 2."""
    try:
        return int(command())
    except LintError as exc:
        error(exc.located())
        return ExitCode.ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.ERROR
    except BrokenPipeError:  # the reader of stdout went away (`mcp-lint ... | head`)
        return ExitCode.ERROR
    except Exception:  # noqa: BLE001 - the boundary: whatever escaped is a bug of ours
        traceback.print_exc()
        print(f"error: mcp-lint {__version__} failed with an internal error; please report it at {ISSUES_URL} "
              "with the traceback above", file=sys.stderr)
        return ExitCode.ERROR
