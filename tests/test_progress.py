"""The progress bar: on stderr, for long runs on a terminal only; never with a report a program
reads, never with --quiet, never when stderr is not a terminal."""

from __future__ import annotations

import io
import sys

import pytest

from mcp_lint.cli import check as commands
from mcp_lint.cli.check import CheckOptions
from mcp_lint.output.reporters.progress import ProgressBar


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("options", "shown"), [
    ({}, True),
    ({"output_format": "concise"}, True),
    ({"statistics": True}, True),
    ({"quiet": True}, False),
    ({"output_format": "json"}, False),
    ({"output_format": "sarif"}, False),
    ({"output_format": "github"}, False),
    ({"diff": True}, False),
])
def test_when_a_bar_is_offered(monkeypatch, options, shown):
    monkeypatch.setattr(sys, "stderr", _Tty())
    assert (commands._progress(CheckOptions(paths=["."], **options)) is not None) is shown


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert commands._progress(CheckOptions(paths=["."])) is None


def test_short_runs_show_nothing_and_long_ones_count_every_file(monkeypatch):
    short = ProgressBar(min_files=3)
    short.start(2)
    short.advance("a.py", None)
    assert short._progress is None
    long = ProgressBar(min_files=3)
    with long:
        long.start(3)
        for name in ("a.py", "b.py", "c.py"):
            long.advance(name, None)
        assert long._progress.tasks[0].completed == 3
    assert long._progress is None
