"""A transient progress bar on stderr for runs long enough to wait on.

rich is imported only once a bar is actually shown; a short run prints nothing.
"""

from __future__ import annotations

from typing import Any

# Fewer files than this finish in about a second: a bar would only flicker.
MIN_FILES = 40


class ProgressBar:
    def __init__(self, min_files: int = MIN_FILES) -> None:
        self.min_files = min_files
        self._progress: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        if total < self.min_files or self._progress is not None:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("linting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                  console=Console(stderr=True), transient=True)
        self._task = self._progress.add_task("lint", total=total)
        self._progress.start()

    def advance(self, path: str = "", result: Any = None) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
