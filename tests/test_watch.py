"""`mcp-lint check --watch`, run as a real process on real files: it lints once, then prints what each
change did to the findings, and stops with exit 0 on Ctrl-C. Every wait is for a line of its output,
with a generous limit; nothing sleeps."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("watchfiles")

from conftest import SERVER, run_cli, write  # noqa: E402

WAIT = 60  # seconds for one expected line

# A stdio server whose tool prints to stdout: one MCP501 finding, on line 9.
STDIO_SERVER = '''\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")


@mcp.tool()
def add_note(text: str) -> str:
    """Store a note."""
    print("adding", text)
    return "ok"


if __name__ == "__main__":
    mcp.run()
'''


class Watch:
    """`mcp-lint check --watch ARGS` in `cwd`, its output read line by line on a thread."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "mcp_lint", "check", "--watch", *args], cwd=cwd,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, predicate, what: str) -> str:
        """The next line that satisfies `predicate` (lines before it are kept in `seen`)."""
        deadline = time.monotonic() + WAIT
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line with {what} within {WAIT} s; output so far:\n" + "\n".join(self.seen))
            if line is None:
                raise AssertionError(f"the watch ended before a line with {what}:\n" + "\n".join(self.seen))
            self.seen.append(line)
            if predicate(line):
                return line

    def until(self, text: str) -> str:
        return self.expect(lambda line: text in line, repr(text))

    def changes(self) -> tuple[str, list[str]]:
        """The next report of a change: its header and its +/- lines."""
        header = self.expect(lambda line: line.startswith("[") and " changed: " in line, "a change header")
        count = 0
        if "no new findings" not in header:
            summary = header.split(" changed: ", 1)[1].split(" (", 1)[0]
            count = sum(int(part.split()[0]) for part in summary.split(", "))
        return header, [self.expect(lambda line: line[:2] in ("+ ", "- "), "a finding line") for _ in range(count)]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=WAIT)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)


@pytest.fixture
def watching():
    started: list[Watch] = []

    def start(cwd: Path, *args: str) -> Watch:
        watch = Watch(cwd, *args)
        started.append(watch)
        return watch

    yield start
    for watch in started:
        watch.close()


def test_watch_prints_fixed_and_new_findings_then_stops_on_ctrl_c(tmp_path, watching):
    server = write(tmp_path, "server.py", STDIO_SERVER)
    watch = watching(tmp_path, "--output-format", "concise", ".")
    assert watch.until("MCP501").startswith("server.py:9:5: MCP501 [stdout-in-stdio-server]")
    watch.until("Watching 1 file for changes")

    server.write_text(STDIO_SERVER.replace('print("adding", text)', 'print("adding", text, file=sys.stderr)')
                      .replace("from mcp", "import sys\nfrom mcp"))
    header, lines = watch.changes()
    assert "server.py changed: 1 fixed (0 findings in all)" in header
    assert lines == ["- server.py:9:5: MCP501 [stdout-in-stdio-server] `print()` writes to stdout, which carries the "
                     "JSON-RPC stream of this stdio server (run() with no transport)"]

    orders = write(tmp_path, "orders.py", SERVER)
    header, lines = watch.changes()
    assert "orders.py changed: 1 new (1 finding in all)" in header
    assert len(lines) == 1 and lines[0].startswith("+ orders.py:11:5: MCP101 [sql-string-formatting]")

    # Code that only moved is not news.
    orders.write_text("\n\n" + SERVER)
    header, lines = watch.changes()
    assert "orders.py changed: no new findings, none fixed (1 finding in all)" in header

    assert watch.stop() == 0
    watch.until("Stopped watching.")


def test_watch_ignores_excluded_paths_and_survives_a_broken_configuration(tmp_path, watching):
    config = write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nextend-exclude = ["generated/"]\n')
    server = write(tmp_path, "server.py", "X = 1\n")
    watch = watching(tmp_path, ".")
    watch.until("Watching 1 file for changes")

    write(tmp_path, "generated/api.py", SERVER)  # excluded: never mentioned
    server.write_text(SERVER)
    header, lines = watch.changes()
    assert "generated" not in header and "server.py changed: 1 new" in header
    assert [line[:20] for line in lines] == ["+ server.py:11:5: MC"]

    config.write_text('[tool.mcp-lint]\nextend-exclude = ["generated/"]\nselect = ["NOPE"]\n')
    error = watch.until("error:")
    assert "unknown rule selector 'NOPE'" in error and "the last good configuration stays in use" in error
    watch.changes()
    server.write_text(SERVER.replace("@mcp.tool()", "@mcp.tool()\n"))  # still watching, same settings
    header, _ = watch.changes()
    assert "server.py changed: no new findings" in header

    config.write_text('[tool.mcp-lint]\nextend-exclude = ["generated/"]\nignore = ["MCP101"]\n')
    watch.until("Configuration changed")
    header, lines = watch.changes()
    assert "1 fixed" in header and lines[0].startswith("- server.py:12:5: MCP101")

    assert watch.stop() == 0


@pytest.mark.parametrize("option", [["--fix"], ["--diff"], ["--add-noqa"], ["--output-format", "json"]])
def test_watch_refuses_options_that_write_files_or_machine_reports(tmp_path, option):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("check", "--watch", *option, ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "--watch" in result.stderr
