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
  stages    bench/stages.py: the real `check` in one process (-j 1), cold and warm, with a
            timer around each stage (start-up, configuration, discovery, project scan and join,
            read + guard, parse, index, model, walk + rule hooks, deferred checks, positions,
            findings, suppressions, flow facts, flows join, project rules, cache, report), then
            each default rule alone (--no-rule-costs skips that part).

whole-process numbers (one row per process):
  wall s    time.perf_counter() around the child process, start to reaped: interpreter
            start-up, imports, file discovery, the work, report writing. Median of --repeat runs.
  CPU s     user + system CPU time of the child and the descendants it waited for (workers).
  peak MiB  the peak resident set (VmHWM, sampled from /proc every 5 ms) of the largest single
            process in the child's tree: the parent or one worker, not their sum. Where /proc is
            missing, ru_maxrss from os.wait4(), which on Linux also counts this script's own.
  x parse   wall s / wall s of the parse-only floor.
  x walk    wall s / wall s of the parse + walk floor.

targets: the performance budget (BUDGET below), each a ratio or a time within this one run.

--repeat N runs every measurement N times (round robin) and reports the median of each number
(the stage breakdown runs once).
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
    ap.add_argument("--no-rule-costs", action="store_true",
                    help="in the stages section, skip timing each rule on its own (the longest part)")
    ap.add_argument("--stage", choices=("parse", "walk"), help=argparse.SUPPRESS)
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
        log("stage breakdown (bench/stages.py, in-process: cold, warm, each rule)")
        cmd = [py, str(REPO_ROOT / "bench" / "stages.py"), str(corpus)] + ([] if args.no_rule_costs else ["--rules"])
        r = run_measured(cmd, cwd=work, env=env, timeout=args.timeout)
        stages = json.loads(r["stdout"].strip().splitlines()[-1]) if r["ok"] else {"ok": False, "reason": r["reason"]}

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
        out.extend(stage_lines(stages))
    print("\n".join(out))

    if args.json:
        payload = {"meta": meta, "processes": results, "skipped": skipped, "stages": stages}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        log(f"wrote {args.json}")
    return 0


# The performance budget (measured on a 2-CPU machine, ratios within one run).
BUDGET = {"j2_wall_x_bandit": 0.75, "cpu_x_bandit": 1.5, "j1_x_walk_floor": 1.2, "warm_s": 0.25,
          "one_file_cold_s": 0.25, "one_file_cached_s": 0.12, "peak_mib": 150}


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    def get(name: str, key: str = "wall_s") -> float | None:
        res = results.get(name) or {}
        return res.get(key) if res.get("ok") else None

    b = BUDGET
    out: list[tuple[str, str, bool | None]] = []
    walk, j1, j2, bandit = get("parse + walk floor"), get("mcp-lint cold -j 1"), get("mcp-lint cold -j 2"), \
        get("bandit -r")
    if j2 and bandit:
        out.append((f"cold -j 2 wall <= {b['j2_wall_x_bandit']} x bandit's",
                    f"{j2 / bandit:.2f} x ({fmt(j2)} s / {fmt(bandit)} s)", j2 <= b["j2_wall_x_bandit"] * bandit))
    cpu2, bandit_cpu = get("mcp-lint cold -j 2", "cpu_s"), get("bandit -r", "cpu_s")
    if cpu2 and bandit_cpu:
        out.append((f"cold -j 2 CPU <= {b['cpu_x_bandit']} x bandit's",
                    f"{cpu2 / bandit_cpu:.2f} x ({fmt(cpu2)} s / {fmt(bandit_cpu)} s)",
                    cpu2 <= b["cpu_x_bandit"] * bandit_cpu))
    if walk and j1:
        out.append((f"cold -j 1 <= {b['j1_x_walk_floor']} x parse+walk floor",
                    f"{j1 / walk:.2f} x ({fmt(j1)} s / {fmt(walk)} s)", j1 <= b["j1_x_walk_floor"] * walk))
    for name, key in (("mcp-lint warm rerun (cached)", "warm_s"), ("mcp-lint one file, cold", "one_file_cold_s"),
                      ("mcp-lint one file, cached", "one_file_cached_s")):
        if get(name) is not None:
            out.append((f"{name.removeprefix('mcp-lint ')} <= {b[key]} s", f"{fmt(get(name))} s", get(name) <= b[key]))
    peaks = [(res["peak_mib"], name) for name, res in results.items() if name.startswith("mcp-lint") and res.get("ok")]
    if peaks:
        peak, name = max(peaks)
        out.append((f"peak memory <= {b['peak_mib']} MiB per process", f"{peak:.0f} MiB ({name})",
                    peak <= b["peak_mib"]))
    return out


def stage_lines(stages: dict) -> list[str]:
    """The stage tables of bench/stages.py's output."""
    out = ["## Where the time goes (bench/stages.py: one process, -j 1, each stage's own time)\n"]
    if stages.get("ok") is False:
        return out + [f"FAILED: {stages.get('reason')}\n"]
    for kind, title in (("cold", "cold (`--no-cache`)"), ("warm", "warm rerun (findings cache)")):
        run = stages[kind]
        out.append(f"{title}: {run['wall_ms'] / 1000:.2f} s in all\n")
        out.append("| stage | ms | share | calls |")
        out.append("|---|---:|---:|---:|")
        for label, row in run["rows"].items():
            out.append(f"| {label} | {row['ms']:.1f} | {100 * row['ms'] / run['wall_ms']:.1f} % | {row['calls']:,} |")
        out.append("")
    if stages.get("missing_stages"):
        out.append("- stage functions not found (renamed?): " + ", ".join(stages["missing_stages"]) + "\n")
    rules = stages.get("rules")
    if rules:
        out.append(f"each rule's own analysis time over the corpus (an engine with that rule alone, minus one "
                   f"with none: {rules['analysis_without_rules_ms']:.0f} ms of shared analysis). A rule that "
                   f"follows values pays, alone, the flow evaluation those rules share: together they pay it "
                   f"once. 0.0: within the noise.\n")
        out.append("| rule | ms |")
        out.append("|---|---:|")
        for rid, ms in rules["rules_ms"].items():
            out.append(f"| {rid} | {ms:.1f} |")
        out.append("")
    return out


if __name__ == "__main__":
    sys.exit(main())
