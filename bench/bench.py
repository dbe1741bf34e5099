#!/usr/bin/env python3
"""Benchmark mcp-lint on a corpus of real MCP servers, against floors and peer tools.

Run it with the interpreter of the environment mcp-lint is installed in, e.g.

    python bench/bench.py                   # corpus at ../corpus (fetched there if missing)
    python bench/bench.py /path/to/corpus --repeat 5 --json bench.json

See `--help` (and bench/README.md) for what each number means. Standard library only,
plus libcst and mcp_lint, which the child processes import from the running environment.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT.parent / "corpus"
FETCH_SCRIPT = REPO_ROOT / "bench" / "fetch_corpus.sh"
FETCH_LIST = REPO_ROOT / "bench" / "corpus.txt"
DEFAULT_PEERS_VENV = Path(tempfile.gettempdir()) / "mcp-lint-bench-peers"
SECTIONS = ("floors", "mcp-lint", "peers", "stages")
SEMGREP_FAILED_MARK = ".semgrep-install-failed"

SEMGREP_RULES = """\
rules:
  - id: sql-built-with-fstring
    languages: [python]
    severity: WARNING
    message: SQL query built with an f-string is passed to execute()
    pattern-either:
      - pattern: $CUR.execute(f"...", ...)
      - pattern: $CUR.execute(f"...")
      - pattern: $CUR.executemany(f"...", ...)
  - id: subprocess-shell-true
    languages: [python]
    severity: WARNING
    message: subprocess call with shell=True
    pattern-either:
      - pattern: subprocess.$F(..., shell=True, ...)
      - pattern: asyncio.create_subprocess_shell(...)
"""

HELP_EPILOG = """\
sections (--only):
  floors    two whole-process floors, each a fresh python process that reads every corpus
            file and libcst-parses it ("parse-only floor"), or parses it and walks it with a
            no-op libcst.CSTVisitor ("parse + walk floor"). No serial linter built on libcst
            can beat them.
  mcp-lint  whole-process `mcp-lint check ... --output-format json -o /dev/null --exit-zero`:
            cold (--no-cache: every file linted) with -j 1 and -j 2; a warm rerun answered from
            the findings cache; one typical file (the corpus file of median size), cold and
            cached. Before timing, one untimed run compiles the bytecode and the rule packs, as
            any first run of an installation does; children run with PYTHONDONTWRITEBYTECODE
            unset and their own XDG_CACHE_HOME.
  peers     ruff (--select S, the bandit-equivalent rules, and --select ALL), bandit -r, and
            semgrep with a two-rule local rules file, from a throwaway virtualenv outside the
            repo (created and filled with pip on first use; --no-peers skips them).
  stages    one python process that, per file, parses once and times each stage on the shared
            module (see below).

whole-process numbers (one row per process):
  wall s    time.perf_counter() around the child process, start to reaped: interpreter
            start-up, imports, file discovery, the work, report writing. Median of --repeat runs.
  CPU s     user + system CPU time of the child and the descendants it waited for (workers).
  peak MiB  the peak resident set (VmHWM, sampled from /proc every 5 ms) of the largest single
            process in the child's tree: the parent or one worker, not their sum. Where /proc is
            missing, ru_maxrss from os.wait4(), which on Linux also counts this script's own.
  x parse   wall s / wall s of the parse-only floor.
  x walk    wall s / wall s of the parse + walk floor.

stage numbers (ms per 1,000 physical lines of the files that parsed and analysed cleanly):
  parse              libcst.parse_module(text)
  libcst no-op walk  module.visit(a CSTVisitor with no methods)
  index              mcp_lint.analysis.module_index.build_index(module)
  model              mcp_lint.analysis.mcp_model.build_model(index)
  walk+recording     the engine's own walk (_Walker) with no rules: traversal state and flow
                     recording, as Engine([], always_walk=True) does after index and model
  analysis, no rules index + model + walk+recording
  default rules      Engine(default rules)._analyse(module): index, model, walk with every rule
                     hook, deferred checks, findings (spans, fixes, suppressions)
  full lint          parse + default rules (what Engine.lint_text costs per file)
  ratios             "analysis, no rules" and "full lint", each / (parse + libcst no-op walk)
  Files whose parse or analysis raises are skipped and counted.

--repeat N runs every measurement N times (round robin) and reports the median of each number
(the stage breakdown keeps the minimum).
Measurements are strictly sequential. Exit status: 0, or 2 when the corpus is missing.
"""


# ---------------------------------------------------------------------------------------------
# corpus
# ---------------------------------------------------------------------------------------------

def corpus_files(corpus: Path) -> list[Path]:
    """Every .py/.pyi file under the corpus, sorted; hidden folders (such as .dl) are skipped."""
    out = []
    for root, dirs, files in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".pyi")):
                out.append(Path(root) / name)
    return out


def read_source(path: Path) -> str | None:
    """Decode a file as Python does (BOM, coding cookie); None when it is not text."""
    data = path.read_bytes()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None
    return text[1:] if text.startswith("\ufeff") else text


def count_lines(text: str) -> int:
    return text.count("\n") + (0 if not text or text.endswith("\n") else 1)


def corpus_stats(files: list[Path]) -> dict:
    lines = nonblank = size = 0
    for f in files:
        data = f.read_bytes()  # also warms the page cache before anything is timed
        size += len(data)
        text = data.decode("utf-8", "replace")
        lines += count_lines(text)
        nonblank += sum(1 for line in text.splitlines() if line.strip())
    return {"files": len(files), "lines": lines, "nonblank_lines": nonblank, "bytes": size}


# ---------------------------------------------------------------------------------------------
# child modes (python bench.py --stage ...)
# ---------------------------------------------------------------------------------------------

def stage_floor(corpus: Path, walk: bool) -> int:
    import libcst as cst

    class NoOp(cst.CSTVisitor):
        pass

    parsed = failed = 0
    for path in corpus_files(corpus):
        text = read_source(path)
        if text is None:
            failed += 1
            continue
        try:
            module = cst.parse_module(text)
            if walk:
                module.visit(NoOp())
        except Exception:  # noqa: BLE001 - a floor skips what it cannot parse
            failed += 1
            continue
        parsed += 1
    print(json.dumps({"parsed": parsed, "failed": failed}))
    return 0


def stage_breakdown(corpus: Path) -> int:
    """Per file: parse once, then time each stage on the shared module. Prints JSON."""
    import libcst as cst
    from mcp_lint.analysis.mcp_model import build_model
    from mcp_lint.analysis.module_index import build_index
    from mcp_lint.check.engine import Engine
    from mcp_lint.packs.registry import default_registry

    try:  # the engine's internals, to time the walk on its own
        from mcp_lint.analysis.state import TraversalState
        from mcp_lint.check.context import FileContext
        from mcp_lint.check.engine import _Walker
        from mcp_lint.model.findings import FileResult
        walk_mode = "engine _Walker with no rules"
    except ImportError:
        _Walker = None
        walk_mode = "Engine([], always_walk=True)._analyse minus index and model"

    class NoOp(cst.CSTVisitor):
        pass

    registry = default_registry()
    rules = registry.select()
    full = Engine(rules, known_codes=registry.all_codes())
    empty = Engine([], always_walk=True)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 6000))
    clock = time.perf_counter
    keys = ("parse", "noop_walk", "index", "model", "walk", "full_analyse")
    totals = dict.fromkeys(keys, 0.0)
    lines = files_ok = 0
    skipped: dict[str, list[str]] = {"undecodable": [], "parse_failed": [], "analysis_failed": []}

    for path in corpus_files(corpus):
        text = read_source(path)
        shown = str(path.relative_to(corpus))
        if text is None:
            skipped["undecodable"].append(shown)
            continue
        gc.collect()  # untimed: start each file without the previous file's garbage
        t = {}
        try:
            t0 = clock()
            module = cst.parse_module(text)
            t["parse"] = clock() - t0
            t0 = clock()
            module.visit(NoOp())
            t["noop_walk"] = clock() - t0
        except Exception as exc:  # noqa: BLE001
            skipped["parse_failed"].append(f"{shown}: {type(exc).__name__}")
            continue
        try:
            t0 = clock()
            index = build_index(module)
            t["index"] = clock() - t0
            t0 = clock()
            model = build_model(index)
            t["model"] = clock() - t0
            if _Walker is not None:
                t0 = clock()
                state = TraversalState(module)
                ctx = FileContext(path=shown, source=text, module=module, index=index, model=model, state=state)
                ctx.flows.frames[module] = state.module_frame
                _Walker(empty, ctx, FileResult(shown), set()).walk(module)
                t["walk"] = clock() - t0
            else:
                t0 = clock()
                empty._analyse(module, text, shown)
                t["walk"] = max(0.0, clock() - t0 - t["index"] - t["model"])
            t0 = clock()
            full._analyse(module, text, shown)
            t["full_analyse"] = clock() - t0
        except Exception as exc:  # noqa: BLE001 - skip the file, count it, go on
            skipped["analysis_failed"].append(f"{shown}: {type(exc).__name__}: {str(exc)[:120]}")
            continue
        for k in keys:
            totals[k] += t[k]
        lines += count_lines(text)
        files_ok += 1
        del module, t

    print(json.dumps({"totals_s": totals, "files": files_ok, "lines": lines, "skipped": skipped,
                      "rules": len(rules), "walk_mode": walk_mode}))
    return 0


# ---------------------------------------------------------------------------------------------
# whole-process measurement
# ---------------------------------------------------------------------------------------------

def _tree(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc (Linux)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return out


def _hwm_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class PeakSampler(threading.Thread):
    """Per-process peak resident memory (VmHWM) of a child and its descendants, sampled every few
    milliseconds. ru_maxrss cannot be used on Linux: a child spawned from this (large) benchmark
    process inherits the benchmark's high-water mark across exec."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for p in _tree(self.pid):
                kib = _hwm_kib(p)
                if kib is not None and kib > self.peaks.get(p, 0):
                    self.peaks[p] = kib
            self.done.wait(self.interval)


def run_measured(cmd: list[str], *, cwd: Path, env: dict | None = None, ok_codes=(0,),
                 timeout: float = 900.0) -> dict:
    """Run one child; wall time around it, rusage of it (and its reaped descendants), and the peak
    memory of each of its processes."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    start_new_session=True)
        except OSError as exc:
            return {"ok": False, "reason": f"cannot start: {exc}"}
        timed_out = []

        def kill() -> None:
            timed_out.append(True)
            try:
                os.killpg(proc.pid, 9)
            except OSError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        sampler = PeakSampler(proc.pid) if os.path.isdir("/proc/self/task") else None
        if sampler is not None:
            sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            if sampler is not None:
                sampler.done.set()
                sampler.join()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    result = {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        # the largest single process; ru_maxrss (KiB on Linux) only where /proc cannot be sampled
        "peak_mib": (max(sampler.peaks.values()) if sampler is not None and sampler.peaks else usage.ru_maxrss) / 1024.0,
        "processes": len(sampler.peaks) if sampler is not None else None,
        "exit_code": proc.returncode,
        "stdout": stdout,
    }
    if timed_out:
        result.update(ok=False, reason=f"timed out after {timeout:.0f} s")
    elif proc.returncode not in ok_codes:
        tail = " | ".join(line.strip() for line in stderr.strip().splitlines()[-3:] if line.strip())
        result.update(ok=False, reason=f"exit {proc.returncode}: {tail[:300]}")
    else:
        result["ok"] = True
    return result


def quick(cmd: list[str], timeout: float = 120.0, env: dict | None = None) -> tuple[int, str]:
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return -1, str(exc)
    return p.returncode, (p.stdout + p.stderr).strip()


def mcp_lint_command() -> list[str]:
    script = Path(sys.executable).parent / "mcp-lint"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "mcp_lint"]


# ---------------------------------------------------------------------------------------------
# peers
# ---------------------------------------------------------------------------------------------

def ensure_peers(venv: Path, log) -> dict:
    """Create the peers virtualenv if needed; returns {tool: path or None} and skip reasons."""
    bindir = venv / "bin"
    py = bindir / "python"
    reasons: dict[str, str] = {}
    if not py.exists():
        log(f"creating peers virtualenv {venv} ...")
        code, text = quick([sys.executable, "-m", "venv", str(venv)], timeout=300)
        if code != 0:
            return {"tools": {}, "reasons": {t: f"venv creation failed: {text[-200:]}"
                                             for t in ("ruff", "bandit", "semgrep")}}
    pip = [str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    missing = [t for t in ("ruff", "bandit") if not (bindir / t).exists()]
    if missing:
        log(f"pip install {' '.join(missing)} into {venv} ...")
        code, text = quick(pip + missing, timeout=900)
        if code != 0:
            for t in missing:
                reasons[t] = f"pip install failed: {text[-200:]}"
    mark = venv / SEMGREP_FAILED_MARK
    if not (bindir / "semgrep").exists():
        if mark.exists():
            reasons["semgrep"] = mark.read_text().strip() + f" (cached; delete {mark} to retry)"
        else:
            log(f"pip install semgrep into {venv} ...")
            code, text = quick(pip + ["semgrep"], timeout=900)
            if code != 0 or not (bindir / "semgrep").exists():
                reason = f"pip install semgrep failed: {' '.join(text.split())[-300:]}"
                mark.write_text(reason + "\n")
                reasons["semgrep"] = reason
    tools = {t: str(bindir / t) for t in ("ruff", "bandit", "semgrep")
             if (bindir / t).exists() and t not in reasons}
    return {"tools": tools, "reasons": reasons}


def semgrep_env(tmp: Path) -> dict:
    env = dict(os.environ)
    env.update(SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0",
               SEMGREP_SETTINGS_FILE=str(tmp / "semgrep-settings.yml"),
               SEMGREP_LOG_FILE=str(tmp / "semgrep.log"),
               SEMGREP_VERSION_CACHE_PATH=str(tmp / "semgrep-version"))
    return env


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------

def fmt(x, digits=2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def median(runs: list[dict]) -> dict:
    ok = [r for r in runs if r.get("ok")]
    if not ok:
        return dict(runs[-1]) if runs else {"ok": False, "reason": "not run"}
    out = {"ok": True, "exit_code": ok[0]["exit_code"], "runs": len(ok)}
    for key in ("wall_s", "cpu_s", "peak_mib"):
        out[key] = statistics.median(r[key] for r in ok)
    out["wall_s_all"] = [r["wall_s"] for r in ok]
    return out


def typical_file(files: list[Path]) -> Path:
    """The corpus file of median size: what one file in an editor or a pre-commit hook looks like."""
    by_size = sorted(files, key=lambda f: (f.stat().st_size, str(f)))
    return by_size[len(by_size) // 2]


def child_env(user_cache: Path) -> dict:
    """As an installed mcp-lint runs: bytecode may be written, caches are the benchmark's own."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("MCP_LINT_CACHE_DIR", None)
    env["XDG_CACHE_HOME"] = str(user_cache)
    return env


def fetch_corpus(corpus: Path, log) -> bool:
    log(f"fetching the corpus into {corpus} with {FETCH_SCRIPT.name} ...")
    code = subprocess.call(["bash", str(FETCH_SCRIPT), str(FETCH_LIST), str(corpus)], stdout=sys.stderr)
    return code == 0 and corpus.is_dir() and bool(corpus_files(corpus))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="bench.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Measure mcp-lint on a corpus of MCP servers against libcst floors and peer tools.",
        epilog=HELP_EPILOG)
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS,
                    help=f"corpus directory (default: ../corpus from the repo root, here {DEFAULT_CORPUS})")
    ap.add_argument("--repeat", type=int, default=3, metavar="N",
                    help="run each measurement N times and report the median (default 3)")
    ap.add_argument("--no-fetch", action="store_true",
                    help="do not fetch a missing corpus (by default bench/fetch_corpus.sh fetches it from PyPI)")
    ap.add_argument("--json", type=Path, metavar="OUT", help="also write every number as JSON to OUT")
    ap.add_argument("--only", default=",".join(SECTIONS), metavar="LIST",
                    help=f"comma-separated sections to run: {', '.join(SECTIONS)} (default: all)")
    ap.add_argument("--peers-venv", type=Path, default=DEFAULT_PEERS_VENV, metavar="DIR",
                    help=f"virtualenv holding ruff/bandit/semgrep, created if missing (default {DEFAULT_PEERS_VENV})")
    ap.add_argument("--no-peers", action="store_true", help="skip the peers section")
    ap.add_argument("--timeout", type=float, default=900.0, metavar="S",
                    help="kill a measured process after S seconds (default 900)")
    ap.add_argument("--stage", choices=("parse", "walk", "breakdown"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    corpus = args.corpus.resolve()
    if (not corpus.is_dir() or not corpus_files(corpus)) and not args.stage and not args.no_fetch:
        fetch_corpus(corpus, lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True))
    if not corpus.is_dir() or not corpus_files(corpus):
        print(f"corpus not found or empty: {corpus}\n"
              f"fetch it with:\n  {FETCH_SCRIPT} {FETCH_LIST} {corpus}\n"
              "(needs python3, pip and access to PyPI), or pass another corpus directory.", file=sys.stderr)
        return 2

    if args.stage == "parse":
        return stage_floor(corpus, walk=False)
    if args.stage == "walk":
        return stage_floor(corpus, walk=True)
    if args.stage == "breakdown":
        return stage_breakdown(corpus)

    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        ap.error(f"--only: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.no_peers and "peers" in sections:
        sections.remove("peers")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    def log(msg: str) -> None:
        print(f"[bench] {msg}", file=sys.stderr, flush=True)

    files = corpus_files(corpus)
    stats = corpus_stats(files)
    me = str(Path(__file__).resolve())
    work = Path(tempfile.mkdtemp(prefix="mcp-lint-bench-"))  # cwd of every child: no config is picked up
    try:
        return _run(args, sections, corpus, stats, me, work, log, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(args, sections, corpus: Path, stats: dict, me: str, work: Path, log, files: list[Path]) -> int:
    py = sys.executable
    env = child_env(work / "user-cache")
    cache_dir = work / "findings-cache"
    one = typical_file(files)
    mcp = mcp_lint_command()
    meta = {
        "corpus": str(corpus), **stats,
        "python": platform.python_version(), "executable": py,
        "platform": platform.platform(), "cpus": os.cpu_count(), "repeat": args.repeat,
        "sections": sections, "mcp_lint_command": mcp, "load_before": os.getloadavg(),
    }
    try:
        from importlib.metadata import version
        meta["libcst"] = version("libcst")
    except Exception:  # noqa: BLE001
        meta["libcst"] = None
    code, text = quick(mcp + ["--version"])
    meta["mcp_lint"] = text.splitlines()[-1].replace("mcp-lint", "").strip() if code == 0 and text else None
    code, text = quick(["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"])
    meta["git"] = text if code == 0 else None

    # --- what to run -----------------------------------------------------------------------------
    jobs: list[tuple[str, list[str], dict]] = []  # (name, command, options)
    skipped: dict[str, str] = {}
    if "floors" in sections:
        jobs.append(("parse-only floor", [py, me, "--stage", "parse", str(corpus)], {"env": env}))
        jobs.append(("parse + walk floor", [py, me, "--stage", "walk", str(corpus)], {"env": env}))
    ml_flags = ["--output-format", "json", "-o", os.devnull, "--exit-zero"]
    cached = ["--cache-dir", str(cache_dir)]
    if "mcp-lint" in sections:
        ml = {"env": env}
        jobs.append(("mcp-lint cold -j 1", mcp + ["check", str(corpus), "-j", "1", "--no-cache"] + ml_flags, ml))
        jobs.append(("mcp-lint cold -j 2", mcp + ["check", str(corpus), "-j", "2", "--no-cache"] + ml_flags, ml))
        jobs.append(("mcp-lint warm rerun (cached)", mcp + ["check", str(corpus)] + cached + ml_flags,
                     {**ml, "prime": True}))
        jobs.append(("mcp-lint one file, cold", mcp + ["check", str(one), "--no-cache"] + ml_flags, ml))
        jobs.append(("mcp-lint one file, cached", mcp + ["check", str(one)] + cached + ml_flags, {**ml, "prime": True}))
        meta["one_file"] = {"path": str(one.relative_to(corpus)), "bytes": one.stat().st_size,
                            "lines": count_lines(one.read_text(encoding="utf-8", errors="replace"))}
    versions: dict[str, str] = {}
    if "peers" in sections:
        peers = ensure_peers(args.peers_venv.resolve(), log)
        tools, reasons = peers["tools"], peers["reasons"]
        if "ruff" in tools:
            ruff = tools["ruff"]
            jobs.append(("ruff --select S", [ruff, "check", "--select", "S", "--exit-zero", "--no-cache", "-q",
                                             str(corpus)], {}))
            jobs.append(("ruff --select ALL", [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero", "-q",
                                               str(corpus)], {}))
        else:
            skipped["ruff"] = reasons.get("ruff", "not installed")
        if "bandit" in tools:
            jobs.append(("bandit -r", [tools["bandit"], "-r", "-q", str(corpus), "-f", "json", "-o", os.devnull],
                         {"ok_codes": (0, 1)}))
        else:
            skipped["bandit"] = reasons.get("bandit", "not installed")
        if "semgrep" in tools:
            rules = work / "semgrep-rules.yml"
            rules.write_text(SEMGREP_RULES)
            env = semgrep_env(work)
            code, text = quick([tools["semgrep"], "--version"], timeout=300, env=env)
            if code != 0:
                skipped["semgrep"] = f"`semgrep --version` failed: {' '.join(text.split())[-300:]}"
            else:
                versions["semgrep"] = "semgrep " + text.splitlines()[-1].strip()
                jobs.append(("semgrep (2 local rules)",
                             [tools["semgrep"], "scan", "--config", str(rules), "--metrics=off",
                              "--disable-version-check", "--quiet", "--json", "--output", os.devnull,
                              str(corpus)], {"env": env, "ok_codes": (0, 1), "fail_is_skip": True}))
        else:
            skipped["semgrep"] = reasons.get("semgrep", "not installed")
        for t in ("ruff", "bandit"):
            if t in tools:  # untimed warm-up: loads the binary / modules into the page cache
                code, text = quick([tools[t], "--version"])
                versions[t] = " ".join(text.splitlines()[0].split()[:2]) if code == 0 and text else None
    meta["peer_versions"] = versions

    # --- warm up (untimed): bytecode, compiled rule packs, findings cache for the cached rows -------
    for name, cmd, opts in jobs:
        if opts.get("prime") or (name.startswith("mcp-lint") and name.endswith("cold -j 1")):
            log(f"warm-up (untimed): {name}")
            run_measured(cmd, cwd=work, env=opts.get("env"), ok_codes=opts.get("ok_codes", (0,)),
                         timeout=args.timeout)

    # --- measure, round robin, strictly one process at a time ------------------------------------
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in jobs}
    dead: set[str] = set()
    for rep in range(args.repeat):
        for name, cmd, opts in jobs:
            if name in dead:
                continue
            log(f"run {rep + 1}/{args.repeat}: {name}")
            r = run_measured(cmd, cwd=work, env=opts.get("env"), ok_codes=opts.get("ok_codes", (0,)),
                             timeout=args.timeout)
            runs[name].append(r)
            if not r["ok"]:
                dead.add(name)  # a failing tool fails the same way again: do not repeat it
    results = {name: median(rs) for name, rs in runs.items()}
    for name, cmd, _ in jobs:
        results[name]["command"] = cmd
        res = results[name]
        if res.get("ok") and name.endswith("floor"):
            try:
                res["child"] = json.loads(runs[name][-1]["stdout"].strip().splitlines()[-1])
            except (ValueError, IndexError):
                pass
        res.pop("stdout", None)
    parse_floor = results.get("parse-only floor", {}).get("wall_s") if results.get("parse-only floor", {}).get("ok") else None
    walk_floor = results.get("parse + walk floor", {}).get("wall_s") if results.get("parse + walk floor", {}).get("ok") else None
    for res in results.values():
        if res.get("ok"):
            res["x_parse_floor"] = res["wall_s"] / parse_floor if parse_floor else None
            res["x_walk_floor"] = res["wall_s"] / walk_floor if walk_floor else None

    # --- stage breakdown ------------------------------------------------------------------------
    stages = None
    if "stages" in sections:
        stage_runs = []
        for rep in range(args.repeat):
            log(f"run {rep + 1}/{args.repeat}: stage breakdown (in-process)")
            r = run_measured([py, me, "--stage", "breakdown", str(corpus)], cwd=work, timeout=args.timeout)
            if not r["ok"]:
                stages = {"ok": False, "reason": r["reason"]}
                break
            stage_runs.append(json.loads(r["stdout"].strip().splitlines()[-1]))
        if stage_runs:
            stages = summarise_stages(stage_runs)

    # --- print ----------------------------------------------------------------------------------
    meta["load_after"] = os.getloadavg()
    out = []
    out.append("# mcp-lint benchmark\n")
    out.append(f"- corpus: `{corpus}`: {stats['files']} files, {stats['lines']:,} lines "
               f"({stats['nonblank_lines']:,} non-blank), {stats['bytes'] / 1024 / 1024:.1f} MiB")
    out.append(f"- mcp-lint {meta['mcp_lint'] or '?'} (git {meta['git'] or '?'}), libcst {meta['libcst'] or '?'}, "
               f"Python {meta['python']}, {meta['cpus']} CPUs, {meta['platform']}")
    if versions:
        out.append("- peers: " + ", ".join(v for v in versions.values() if v))
    if "one_file" in meta:
        out.append(f"- one file: `{meta['one_file']['path']}` ({meta['one_file']['lines']} lines, the corpus file of "
                   "median size)")
    out.append(f"- load average (1, 5, 15 min) before: {' '.join(f'{x:.1f}' for x in meta['load_before'])}, "
               f"after: {' '.join(f'{x:.1f}' for x in meta['load_after'])}")
    out.append(f"- each number is the median of {args.repeat} run(s); measurements run one at a time\n")
    if jobs or skipped:
        out.append("## Whole process\n")
        out.append("| tool | wall s | wall s, all runs | CPU s | peak MiB | x parse-only floor | x parse+walk floor |")
        out.append("|---|---:|---|---:|---:|---:|---:|")
        notes = []
        for name, _, opts in jobs:
            res = results[name]
            if not res.get("ok") and opts.get("fail_is_skip"):
                out.append(f"| {name} | skipped | | | | | |")
                notes.append(f"{name} skipped: {res.get('reason')}")
            elif res.get("ok"):
                every = " ".join(fmt(w) for w in res["wall_s_all"])
                out.append(f"| {name} | {fmt(res['wall_s'])} | {every} | {fmt(res['cpu_s'])} | "
                           f"{fmt(res['peak_mib'], 0)} | {fmt(res['x_parse_floor'])} | {fmt(res['x_walk_floor'])} |")
                child = res.get("child")
                if child and child.get("failed"):
                    notes.append(f"{name}: {child['failed']} file(s) did not parse and were skipped")
            else:
                out.append(f"| {name} | FAILED | | | | | |")
                notes.append(f"{name}: {res.get('reason')}")
        for tool, reason in skipped.items():
            out.append(f"| {tool} | skipped | | | | | |")
            notes.append(f"{tool} skipped: {reason}")
        out.append("")
        if any(name.startswith("mcp-lint cold -j 2") for name, _, _ in jobs) or "peers" in sections:
            notes.append("peak MiB is the largest single process (VmHWM), not the sum over parallel workers; "
                         "ruff and semgrep use every CPU, bandit and the floors one")
        for n in notes:
            out.append(f"- {n}")
        out.append("")
        verdicts = targets(results)
        if verdicts:
            out.append("## Targets\n")
            out.append("| target | measured | met |")
            out.append("|---|---|---|")
            for label, measured, met in verdicts:
                out.append(f"| {label} | {measured} | {'yes' if met else 'no' if met is not None else '-'} |")
            out.append("")
    if stages is not None:
        out.append("## mcp-lint stages (one process, one parse per file)\n")
        if not stages.get("ok"):
            out.append(f"FAILED: {stages.get('reason')}\n")
        else:
            out.append(f"{stages['files']} files, {stages['lines']:,} lines analysed; {stages['rules']} default rules; "
                       f"walk timed as: {stages['walk_mode']}\n")
            out.append("| stage | total ms | ms / 1,000 lines | x (parse + no-op walk) |")
            out.append("|---|---:|---:|---:|")
            for label, key in STAGE_ROWS:
                row = stages["stages"][key]
                out.append(f"| {label} | {fmt(row['ms'], 1)} | {fmt(row['ms_per_kloc'])} | {fmt(row['x_baseline'])} |")
            out.append("")
            out.append(f"- (index + model + walk with recording) / (parse + libcst no-op walk) = "
                       f"**{fmt(stages['ratio_analysis'])}**")
            out.append(f"- full lint (parse + default rules) / (parse + libcst no-op walk) = "
                       f"**{fmt(stages['ratio_full'])}**")
            for kind, items in stages["skipped"].items():
                if items:
                    out.append(f"- skipped ({kind.replace('_', ' ')}): {len(items)}: " + "; ".join(items[:5])
                               + (" ..." if len(items) > 5 else ""))
            out.append("")
    print("\n".join(out))

    if args.json:
        payload = {"meta": meta, "processes": results, "skipped": skipped, "stages": stages}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        log(f"wrote {args.json}")
    return 0


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    def wall(name: str) -> float | None:
        res = results.get(name) or {}
        return res.get("wall_s") if res.get("ok") else None

    out: list[tuple[str, str, bool | None]] = []
    walk, j1, j2, bandit = wall("parse + walk floor"), wall("mcp-lint cold -j 1"), wall("mcp-lint cold -j 2"), \
        wall("bandit -r")
    if walk and j1:
        out.append(("cold -j 1 <= 1.5 x parse+walk floor", f"{j1 / walk:.2f} x ({fmt(j1)} s / {fmt(walk)} s)",
                    j1 <= 1.5 * walk))
    if j2 and bandit:
        out.append(("cold -j 2 no slower than bandit", f"{fmt(j2)} s vs {fmt(bandit)} s", j2 <= bandit))
    for name, label, limit in (("mcp-lint warm rerun (cached)", "warm rerun <= 0.3 s", 0.3),
                               ("mcp-lint one file, cold", "one file (cold) <= 0.35 s", 0.35),
                               ("mcp-lint one file, cached", "one file (cached) <= 0.35 s", 0.35)):
        if wall(name) is not None:
            out.append((label, f"{fmt(wall(name))} s", wall(name) <= limit))
    peaks = [(res["peak_mib"], name) for name, res in results.items() if name.startswith("mcp-lint") and res.get("ok")]
    if peaks:
        peak, name = max(peaks)
        out.append(("peak memory <= 200 MiB per process", f"{peak:.0f} MiB ({name})", peak <= 200))
    return out


STAGE_ROWS = (
    ("parse (libcst.parse_module)", "parse"),
    ("libcst no-op visitor walk", "noop_walk"),
    ("= parse + no-op walk (baseline)", "baseline"),
    ("mcp-lint build_index", "index"),
    ("mcp-lint build_model", "model"),
    ("mcp-lint walk + flow recording, no rules", "walk"),
    ("= index + model + walk (analysis, no rules)", "analysis"),
    ("default rules (Engine._analyse, all rules)", "full_analyse"),
    ("  of which rules + findings (minus analysis)", "rules_only"),
    ("= full lint (parse + default rules)", "full_lint"),
)


def summarise_stages(stage_runs: list[dict]) -> dict:
    first = stage_runs[0]
    tot = {k: min(r["totals_s"][k] for r in stage_runs) for k in first["totals_s"]}
    tot["baseline"] = tot["parse"] + tot["noop_walk"]
    tot["analysis"] = tot["index"] + tot["model"] + tot["walk"]
    tot["rules_only"] = tot["full_analyse"] - tot["analysis"]
    tot["full_lint"] = tot["parse"] + tot["full_analyse"]
    kloc = first["lines"] / 1000.0 if first["lines"] else None
    base = tot["baseline"]
    rows = {k: {"ms": v * 1000.0, "ms_per_kloc": (v * 1000.0 / kloc) if kloc else None,
                "x_baseline": (v / base) if base else None} for k, v in tot.items()}
    return {
        "ok": True, "files": first["files"], "lines": first["lines"], "rules": first["rules"],
        "walk_mode": first["walk_mode"], "skipped": first["skipped"], "runs": len(stage_runs),
        "stages": rows,
        "ratio_analysis": tot["analysis"] / base if base else None,
        "ratio_full": tot["full_lint"] / base if base else None,
    }


if __name__ == "__main__":
    sys.exit(main())
