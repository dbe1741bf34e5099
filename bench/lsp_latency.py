"""Latency and memory of `mcp-lint server`, measured as an editor sees them. A benchmark, not a test.

It starts the real server over stdio with pygls' language client, opens a generated 500-line MCP
server (tools of the usual kinds: SQL, outbound HTTP, file paths, commands, stdout, validated input;
`--file` takes any file instead), then:

1. latency: edits the document (`--edits`, default 60), each time waiting for the diagnostics of
   that very version, and reports the time from sending the change to receiving them (the first
   change after a pause is linted at once); then types bursts of 5 keystrokes 40 ms apart and
   reports the time from the last keystroke to its diagnostics (the server waits for 150 ms of
   quiet, then lints). Target: both medians under 300 ms.
2. memory: applies `--soak` more edits (default 1,000), each followed by a hover request (which
   makes the server lint that version at once), and compares the server's resident memory after
   the first 100 of them with the end. Target: growth under 20 %.

    python bench/lsp_latency.py [--lines 500 | --file PATH] [--edits 60] [--soak 1000] [--json OUT]

Exit status 0 when both targets are met, 1 otherwise. Linux only (memory is read from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

LATENCY_TARGET = 0.300  # seconds, median
GROWTH_TARGET = 0.20  # resident memory growth over the soak

HEADER = '''\
"""A generated MCP server for the latency benchmark: tools of the usual kinds, some with mistakes."""
import json
import sqlite3
import subprocess
from pathlib import Path

import httpx
import requests
from mcp.server.fastmcp import FastMCP
from pydantic import Field

mcp = FastMCP("bench")
DB = "bench.db"
ROOT = Path("/srv/notes")


def run_query(sql, params=()):
    conn = sqlite3.connect(DB)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()

'''

# One block per kind of tool, used in turn: a SQL query built by formatting, an outbound request
# without a timeout, a path from the model, a print in a stdio server, a clean validated tool, a
# client per call in async code, a command with a fixed program.
TOOLS = [
    '''
@mcp.tool()
def search_{n}(author: str, limit: int = 20) -> list:
    """Notes of one author."""
    query = f"SELECT id, title FROM notes WHERE author = '{{author}}' LIMIT {{limit}}"
    rows = run_query(query)
    return [{{"id": r[0], "title": r[1]}} for r in rows]
''',
    '''
@mcp.tool()
def fetch_{n}(url: str) -> str:
    """Fetch a page and return its start."""
    response = requests.get(url)
    response.raise_for_status()
    return response.text[:2000]
''',
    '''
@mcp.tool()
def read_{n}(name: str) -> str:
    """Read a note file."""
    path = ROOT / name
    with open(path, encoding="utf-8") as fh:
        return fh.read()
''',
    '''
@mcp.tool()
def count_{n}(tag: str) -> int:
    """How many notes carry a tag."""
    rows = run_query("SELECT COUNT(*) FROM tags WHERE tag = ?", (tag,))
    print("counted", tag, rows[0][0])
    return int(rows[0][0])
''',
    '''
@mcp.tool()
def rename_{n}(note_id: int = Field(gt=0), title: str = Field(max_length=200)) -> str:
    """Rename a note."""
    run_query("UPDATE notes SET title = ? WHERE id = ?", (title, note_id))
    return json.dumps({{"id": note_id, "title": title}})
''',
    '''
@mcp.tool()
async def preview_{n}(urls: list[str]) -> list[str]:
    """Titles of linked pages."""
    out = []
    async with httpx.AsyncClient(timeout=10) as client:
        for url in urls:
            response = await client.get(url)
            out.append(response.text[:80])
    return out
''',
    '''
@mcp.tool()
def disk_usage_{n}(folder: str) -> str:
    """Disk usage of a notes folder."""
    result = subprocess.run(["du", "-sh", str(ROOT / folder)], capture_output=True, text=True, timeout=30)
    return result.stdout
''',
]

FOOTER = '''

if __name__ == "__main__":
    mcp.run()
'''


def server_source(lines: int) -> str:
    text, n = HEADER, 0
    while True:
        block = TOOLS[n % len(TOOLS)].format(n=n) + "\n"
        if text.count("\n") + block.count("\n") + FOOTER.count("\n") > lines:
            break
        text += block
        n += 1
    text += FOOTER
    while text.count("\n") < lines:
        text += "# padding\n"
    return text


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process: what a lint costs, however loaded the machine is."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Bench:
    def __init__(self, client: LanguageClient, uri: str, text: str) -> None:
        self.client = client
        self.uri = uri
        self.text = text
        self.version = 1
        self.waiters: dict[int, asyncio.Future] = {}
        self.counts: dict[int, int] = {}

        @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: lsp.PublishDiagnosticsParams) -> None:
            if params.uri != self.uri or params.version is None:
                return
            self.counts[params.version] = len(params.diagnostics)
            waiter = self.waiters.pop(params.version, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(time.perf_counter())

        @client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def shown(params: lsp.ShowMessageParams) -> None:
            print(f"server says: {params.message}", file=sys.stderr)

        @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
        def register(params) -> None:
            return None

    def edit(self) -> int:
        """A small edit on a line in the middle of the file: a string changes length."""
        self.version += 1
        middle = self.text.count("\n") // 2
        line = self.text.splitlines()[middle]
        marker = f"  # edit {self.version}"
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[lsp.TextDocumentContentChangePartial(
                range=lsp.Range(start=lsp.Position(line=middle, character=len(line)),
                                end=lsp.Position(line=middle, character=len(line))),
                text=marker)]))
        lines = self.text.splitlines(keepends=True)
        lines[middle] = line + marker + "\n"
        self.text = "".join(lines)
        return self.version

    async def diagnostics_after_edit(self) -> float:
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        start = time.perf_counter()
        self.waiters[self.version + 1] = waiter
        self.edit()
        return await asyncio.wait_for(waiter, 60) - start

    async def diagnostics_after_burst(self, keystrokes: int = 5, gap: float = 0.04) -> float:
        """Typing: `keystrokes` edits `gap` seconds apart; the time from the last one to the
        diagnostics of the version it made."""
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self.waiters[self.version + keystrokes] = waiter
        for i in range(keystrokes):
            if i:
                await asyncio.sleep(gap)
            start = time.perf_counter()
            self.edit()
        return await asyncio.wait_for(waiter, 60) - start

    async def hover(self) -> None:
        await self.client.text_document_hover_async(lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=self.uri), position=lsp.Position(line=20, character=10)))


async def main(args) -> int:
    folder = Path(tempfile.mkdtemp(prefix="mcp-lint-lsp-bench-"))
    path = folder / "server.py"
    text = Path(args.file).read_text(encoding="utf-8") if args.file else server_source(args.lines)
    path.write_text(text)
    client = LanguageClient("mcp-lint-bench", "1")
    uri = from_fs_path(str(path))
    bench = Bench(client, uri, text)
    await client.start_io(sys.executable, "-m", "mcp_lint", "server")
    pid = client._server.pid
    await client.initialize_async(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(text_document=lsp.TextDocumentClientCapabilities(
            code_action=lsp.CodeActionClientCapabilities(resolve_support=lsp.ClientCodeActionResolveOptions(
                properties=["edit"])))),
        workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(folder)), name="bench")]))
    client.initialized(lsp.InitializedParams())

    loop = asyncio.get_running_loop()
    opened = loop.create_future()
    bench.waiters[1] = opened
    start = time.perf_counter()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=text)))
    first = await asyncio.wait_for(opened, 120) - start
    findings = bench.counts[1]

    for _ in range(5):  # warm-up
        await bench.diagnostics_after_edit()
    latencies = [await bench.diagnostics_after_edit() for _ in range(args.edits)]
    bursts = [await bench.diagnostics_after_burst() for _ in range(max(3, args.edits // 3))]

    rss_start = rss_end = rss_kib(pid)
    soak_start, cpu_start = time.perf_counter(), cpu_seconds(pid)
    for i in range(args.soak):
        bench.edit()
        await bench.hover()
        if i == min(99, args.soak - 1):
            rss_start = rss_kib(pid)
    rss_end = rss_kib(pid)
    soak_time = time.perf_counter() - soak_start
    cpu_per_edit = (cpu_seconds(pid) - cpu_start) / max(1, args.soak)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()

    median = statistics.median(latencies)
    p90 = statistics.quantiles(latencies, n=10)[-1] if len(latencies) >= 10 else max(latencies)
    growth = (rss_end - rss_start) / rss_start if rss_start else 0.0
    result = {
        "lines": text.count("\n"), "findings": findings, "first_diagnostics_s": round(first, 3),
        "edits": len(latencies), "latency_median_s": round(median, 3), "latency_p90_s": round(p90, 3),
        "latency_max_s": round(max(latencies), 3), "latency_min_s": round(min(latencies), 3),
        "bursts": len(bursts), "burst_latency_median_s": round(statistics.median(bursts), 3),
        "burst_latency_max_s": round(max(bursts), 3),
        "soak_edits": args.soak, "soak_s": round(soak_time, 1), "server_cpu_per_edit_s": round(cpu_per_edit, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()], "rss_after_100_kib": rss_start,
        "rss_end_kib": rss_end, "rss_growth": round(growth, 4),
        "latency_ok": median < LATENCY_TARGET and statistics.median(bursts) < LATENCY_TARGET,
        "memory_ok": growth < GROWTH_TARGET,
    }
    print(f"document: {result['lines']} lines, {findings} findings; first diagnostics after open: {first * 1000:.0f} ms")
    print(f"one edit after a pause -> its diagnostics, {len(latencies)} edits: median {median * 1000:.0f} ms, "
          f"p90 {p90 * 1000:.0f} ms, min {min(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
          f"(target: median < {LATENCY_TARGET * 1000:.0f} ms)")
    print(f"last of 5 keystrokes 40 ms apart -> its diagnostics (150 ms debounce included), {len(bursts)} bursts: "
          f"median {statistics.median(bursts) * 1000:.0f} ms, max {max(bursts) * 1000:.0f} ms "
          f"(target: median < {LATENCY_TARGET * 1000:.0f} ms)")
    print(f"server CPU per edit (lint + hover): {cpu_per_edit * 1000:.0f} ms; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"memory over {args.soak} edits ({soak_time:.0f} s): RSS {rss_start / 1024:.1f} MiB after 100 -> "
          f"{rss_end / 1024:.1f} MiB at the end, {growth * 100:+.1f}% (target: < {GROWTH_TARGET * 100:.0f}%)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["latency_ok"] and result["memory_ok"] else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=500, help="length of the generated server")
    parser.add_argument("--file", help="benchmark this Python file instead of a generated one")
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--soak", type=int, default=1000)
    parser.add_argument("--json")
    sys.exit(asyncio.run(main(parser.parse_args())))
