"""One way to make a rich console: colour only on a terminal (and not with NO_COLOR), and
no line length limit when the output is piped, so nothing is cut at 80 columns."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console


def make_console(file: TextIO | None = None, color: bool | None = None) -> Console:
    console = Console(file=file, force_terminal=color, no_color=color is False, highlight=False,
                      soft_wrap=True, emoji=False, markup=False)
    if not console.is_terminal:
        console.width = 10_000
    return console
