#!/usr/bin/env python3
"""Sample MCP server packages from PyPI at random, reproducibly, and pin them in corpus.txt.

    python ecosystem/sample.py [--seed N] [--target 150] [--corpus-dir DIR] [--out FILE]

1. Every project name on PyPI, from the simple index (https://pypi.org/simple/, asked for as
   `application/vnd.pypi.simple.v1+json`; the HTML page is read when PyPI answers with it).
   The list is about 40 MB and is cached as `<corpus-dir>/simple-index.txt` (`--refresh-index`
   fetches it again).
2. Names that contain `mcp` (case-insensitive), sorted, then shuffled with `random.Random(SEED)`.
3. The shuffled names are walked in order. For each: its newest release (JSON API `info.version`);
   its distribution file (a pure-Python wheel, else any wheel, else an sdist; not yanked); that
   file is downloaded (no install, no dependencies) and only its `.py` files are unpacked. It is
   accepted when it is an MCP server:
     - some .py file imports a server SDK: `from mcp.server[...] import`, `import mcp.server`,
       `from mcp import ...FastMCP/Server/server`, `from fastmcp[...] import`, `import fastmcp`;
     - and some .py file registers a tool handler: an `@<x>.tool` decorator (called or bare),
       a call `<x>.tool(...)` (as in `mcp.tool()(fn)`), `.add_tool(`, `@<x>.call_tool` or
       `<x>.call_tool()(fn)`, `on_call_tool=`, `add_request_handler("tools/call", ...)` or
       `request_handlers[CallToolRequest]`.
   Skipped: packages of the public list (--public), archives over 20 MB, releases with no usable
   file and failed downloads. The walk stops once `--target` packages are accepted.
4. `--out` gets the public list plus the accepted packages, with a header that records the seed,
   the date, the filter and the counts; `--log` gets every candidate walked and its verdict.

JSON API answers and archives are cached under the corpus directory, so a second run with the
same cache replays the same walk. Accepted packages stay unpacked there for check.py.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures as cf
import datetime as dt
import hashlib
import html
import json
import random
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pypi  # noqa: E402  (the sibling module)

HERE = Path(__file__).resolve().parent
DEFAULT_SEED = 20261206
INDEX_URL = "https://pypi.org/simple/"

SERVER_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+mcp\.server(?:\.\w+)*[ \t]+import\b"
    r"|import[ \t]+mcp\.server\b"
    r"|from[ \t]+mcp[ \t]+import[ \t]+[^\n]*\b(?:FastMCP|Server|MCPServer|server)\b"
    r"|from[ \t]+fastmcp(?:\.\w+)*[ \t]+import\b"
    r"|import[ \t]+fastmcp\b)",
    re.MULTILINE,
)
TOOL_HANDLER = re.compile(
    r"^[ \t]*@[ \t]*[\w.]+\.tool\b"
    r"|\b\w+\.tool\("
    r"|\.add_tool[ \t]*\("
    r"|^[ \t]*@[ \t]*[\w.]+\.call_tool\b"
    r"|\.call_tool\([^()\n]*\)[ \t]*\("
    r"|\bon_call_tool[ \t]*="
    r"|\.add_request_handler\(\s*[\"']tools/call"
    r"|request_handlers\[\s*(?:[\w.]+\.)?CallToolRequest\b",
    re.MULTILINE,
)
FILTER_TEXT = (
    'name contains "mcp" (case-insensitive); newest release; pure wheel > wheel > sdist, not yanked, '
    "<= 20 MB; accepted when a .py file imports a server SDK (mcp.server*, mcp's FastMCP/Server, fastmcp) "
    "and a .py file registers a tool handler (@x.tool, x.tool(...), .add_tool(, @x.call_tool, x.call_tool()(f), "
    'on_call_tool=, add_request_handler("tools/call"), request_handlers[CallToolRequest])'
)


def load_index(corpus_dir: Path, refresh: bool) -> tuple[list[str], dict]:
    """All project names on PyPI (cached) and where they came from."""
    names_file = corpus_dir / "simple-index.txt"
    meta_file = corpus_dir / "simple-index.json"
    if names_file.is_file() and meta_file.is_file() and not refresh:
        return names_file.read_text(encoding="utf-8").splitlines(), json.loads(meta_file.read_text())
    print(f"fetching {INDEX_URL} ...", file=sys.stderr)
    body, ctype = pypi.http_get(INDEX_URL, accept="application/vnd.pypi.simple.v1+json", timeout=300)
    if "json" in ctype:
        doc = json.loads(body)
        names = [p["name"] for p in doc["projects"]]
        serial = (doc.get("meta") or {}).get("_last-serial")
    else:  # PyPI may answer with the HTML page whatever the Accept header says
        text = body.decode("utf-8")
        names = [html.unescape(m) for m in re.findall(r"<a [^>]*>([^<]*)</a>", text)]
        m = re.search(r'name="pypi:repository-version" content="([^"]+)"', text)
        serial = None if m is None else f"repository-version {m.group(1)}"
    meta = {
        "url": INDEX_URL, "content_type": ctype, "fetched": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "projects": len(names), "sha256": hashlib.sha256(body).hexdigest(), "last_serial": serial,
    }
    corpus_dir.mkdir(parents=True, exist_ok=True)
    names_file.write_text("\n".join(names) + "\n", encoding="utf-8")
    meta_file.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return names, meta


def candidates(names: list[str], seed: int) -> list[str]:
    pool = sorted({n for n in names if "mcp" in n.lower()})
    random.Random(seed).shuffle(pool)
    return pool


def is_mcp_server(root: Path) -> tuple[bool, str]:
    """Whether the unpacked package looks like an MCP server (see FILTER_TEXT)."""
    imports = handlers = False
    for p in sorted(root.rglob("*.py")):
        try:
            text = p.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        imports = imports or SERVER_IMPORT.search(text) is not None
        handlers = handlers or TOOL_HANDLER.search(text) is not None
        if imports and handlers:
            return True, "mcp server"
    if not imports:
        return False, "no server SDK import"
    return False, "no tool handler"


def evaluate(name: str, corpus_dir: Path, max_bytes: int) -> dict:
    """The verdict on one candidate: accepted, or rejected with a reason."""
    out: dict = {"candidate": name, "accepted": False}
    try:
        doc = pypi.release_json(name, cache_dir=corpus_dir / "json")
        info = doc.get("info") or {}
        out["name"], out["version"] = info.get("name") or name, info.get("version")
        if not out["version"]:
            raise pypi.FetchError("no release")
        file = pypi.pick_file(doc.get("urls") or [])
        if file is None:
            raise pypi.FetchError("no usable file (none, or yanked)")
        out["file"], out["size"] = file["filename"], file.get("size")
        dest = pypi.package_dir(corpus_dir, out["name"], out["version"])
        if not (dest / pypi.COMPLETE).is_file():
            archive = pypi.download(file, corpus_dir / "dl", max_bytes)
            pypi.unpack_release(corpus_dir, out["name"], out["version"], file, archive)
        ok, why = is_mcp_server(dest)
        out["files"] = sum(1 for _ in dest.rglob("*.py"))
        if not ok:
            shutil.rmtree(dest, ignore_errors=True)  # the archive stays cached in dl/
            out["reason"] = why
            return out
        out["accepted"] = True
        out["reason"] = why
    except pypi.FetchError as exc:
        out["reason"] = exc.reason
        out["detail"] = exc.detail
    return out


def walk(pool: list[str], public: set[str], target: int, corpus_dir: Path, max_bytes: int,
         workers: int) -> list[dict]:
    """Verdicts in shuffled order until `target` are accepted. Candidates are evaluated ahead in
    a thread pool, but consumed strictly in order, so the result does not depend on timing."""
    seen: list[dict] = []
    accepted = 0
    it = iter(pool)
    pending: collections.deque = collections.deque()
    with cf.ThreadPoolExecutor(workers) as ex:
        def refill() -> None:
            while len(pending) < workers * 3:
                name = next(it, None)
                if name is None:
                    return
                if pypi.normalize(name) in public:
                    pending.append((name, None))
                else:
                    pending.append((name, ex.submit(evaluate, name, corpus_dir, max_bytes)))

        refill()
        while pending and accepted < target:
            name, fut = pending.popleft()
            verdict = {"candidate": name, "accepted": False, "reason": "in public list"} if fut is None else fut.result()
            seen.append(verdict)
            if verdict["accepted"]:
                accepted += 1
            mark = "+" if verdict["accepted"] else "-"
            print(f"{len(seen):5d} {accepted:4d} {mark} {name} {verdict.get('version') or ''}: {verdict['reason']}",
                  file=sys.stderr)
            refill()
        for _, fut in pending:
            if fut is not None:
                fut.cancel()
    return seen


def write_corpus(out: Path, public_pins: list[tuple[str, str]], seen: list[dict], args, meta: dict,
                 pool_size: int) -> None:
    accepted = [v for v in seen if v["accepted"]]
    reasons = collections.Counter(v["reason"] for v in seen if not v["accepted"])
    today = dt.date.today().isoformat()
    lines = [
        "# mcp-lint ecosystem corpus: MCP server packages from PyPI, pinned (name==version).",
        (f"# {len(public_pins)} packages of the public benchmark corpus ({args.public_label}) and "
         f"{len(accepted)} sampled at random by ecosystem/sample.py:"),
        f"#   python ecosystem/sample.py --seed {args.seed} --target {args.target}",
        (f"#   seed {args.seed}; sampled {today}; index {meta['url']} fetched {meta['fetched']}, "
         f"{meta['projects']} projects (sha256 {meta['sha256'][:16]})"),
        f"#   filter: {FILTER_TEXT}",
        (f"#   candidates: {pool_size} names contain \"mcp\"; walked {len(seen)} of them in shuffled order: "
         f"{len(accepted)} accepted, " + ", ".join(f"{n} {r}" for r, n in reasons.most_common())),
        "#   every candidate walked and its verdict: ecosystem/sample-log.txt",
        "",
        f"# public benchmark corpus ({len(public_pins)})",
        *(f"{n}=={v}" for n, v in public_pins),
        "",
        f"# sampled (seed {args.seed}, {len(accepted)})",
        *sorted((f"{v['name']}=={v['version']}" for v in accepted), key=str.lower),
    ]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_log(path: Path, seen: list[dict], seed: int) -> None:
    rows = [f"# sample.py walk, seed {seed}: position, verdict, candidate, version, file, reason"]
    for i, v in enumerate(seen, 1):
        detail = f" ({v['detail'][:120]})" if v.get("detail") else ""
        rows.append(f"{i}\t{'accept' if v['accepted'] else 'reject'}\t{v['candidate']}\t{v.get('version') or '-'}\t"
                    f"{v.get('file') or '-'}\t{v['reason']}{detail}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--target", type=int, default=150, help="packages to accept (default 150)")
    ap.add_argument("--public", type=Path, default=HERE.parent / "bench" / "corpus.txt",
                    help="the public corpus list, kept first and skipped by the sample (default bench/corpus.txt)")
    ap.add_argument("--corpus-dir", type=Path, default=pypi.DEFAULT_CORPUS_DIR,
                    help="downloads, unpacked packages and caches (default ~/.cache/mcp-lint-ecosystem)")
    ap.add_argument("--out", type=Path, default=HERE / "corpus.txt")
    ap.add_argument("--log", type=Path, default=HERE / "sample-log.txt")
    ap.add_argument("--refresh-index", action="store_true", help="fetch the simple index again")
    ap.add_argument("--workers", type=int, default=8, help="downloads in flight (does not change the result)")
    ap.add_argument("--max-mb", type=float, default=20)
    args = ap.parse_args(argv)
    corpus_dir = args.corpus_dir.expanduser()

    public_pins = pypi.read_pins(args.public)
    try:
        args.public_label = args.public.resolve().relative_to(HERE.parent).as_posix()
    except ValueError:
        args.public_label = str(args.public)
    public = {pypi.normalize(n) for n, _ in public_pins}
    names, meta = load_index(corpus_dir, args.refresh_index)
    pool = candidates(names, args.seed)
    print(f"{meta['projects']} projects, {len(pool)} with 'mcp' in the name; seed {args.seed}", file=sys.stderr)
    seen = walk(pool, public, args.target, corpus_dir, int(args.max_mb * 1024 * 1024), args.workers)
    accepted = sum(v["accepted"] for v in seen)
    write_corpus(args.out, public_pins, seen, args, meta, len(pool))
    write_log(args.log, seen, args.seed)
    keep = {f"{n}=={v}" for n, v in public_pins} | {f"{v['name']}=={v['version']}" for v in seen if v["accepted"]}
    for d in sorted((corpus_dir / "packages").glob("*")):  # evaluated ahead of the stop, not pinned
        if d.name not in keep and "==" in d.name:
            shutil.rmtree(d, ignore_errors=True)
    print(f"walked {len(seen)}, accepted {accepted}; wrote {args.out} and {args.log}", file=sys.stderr)
    return 0 if accepted >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
