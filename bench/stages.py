#!/usr/bin/env python3
"""Where a run's time goes: the real `mcp-lint check` in this process, each stage timed.

    python bench/stages.py CORPUS [--rules] [--json OUT]

Runs `check CORPUS -j 1 --no-cache` (cold) and then `check CORPUS -j 1` twice with a findings
cache in a temporary folder (the second run is the warm one), in this process, with a timer
around each stage function of the pipeline. A stage's time is inclusive of what it calls, minus
the timed stages it calls (so the rows add up to the run, and "other" is what no row names:
argument parsing, configuration, discovery, the findings cache's bookkeeping). With `--rules`,
each default rule's own cost too: every file is parsed once and analysed by an engine holding
that rule alone; the cost is the time over an engine with no rules (the shared analysis).

Stage functions are found by name; a stage whose function is gone is reported as missing, so a
refactoring shows here instead of breaking the benchmark. Standard library only, plus mcp_lint
and libcst from the running environment.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import importlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

# (stage label, module, attribute path): the functions each stage is made of.
STAGES = (
    ("imports and start-up", None, None),
    ("configuration and rule packs", "mcp_lint.cli.settings", "scope_for"),
    ("file discovery", "mcp_lint.cli.check", "discover"),
    ("project scan (CPython parse, guard, facts)", "mcp_lint.project.index", "read_facts"),
    ("project join (servers, contexts)", "mcp_lint.project.index", "ProjectIndex.__init__"),
    ("cache lookups (digests, context)", "mcp_lint.run.pipeline", "plan"),
    ("read + decode + guard", "mcp_lint.check.engine", "Engine.prepare"),
    ("parse (libcst)", "libcst", "parse_module"),
    ("index", "mcp_lint.check.engine", "build_index"),
    ("server model", "mcp_lint.check.engine", "build_model"),
    ("walk + rule hooks", "mcp_lint.check.engine", "Engine._analyse"),
    ("deferred rule checks", "mcp_lint.check.engine", "Engine._deferred"),
    ("rule finish + facts", "mcp_lint.check.engine", "Engine._finish_rules"),
    ("positions", "mcp_lint.check.engine", "place"),
    ("findings (messages, fingerprints)", "mcp_lint.check.engine", "materialise"),
    ("suppressions", "mcp_lint.check.suppress", "SuppressionPass.apply"),
    ("flow facts", "mcp_lint.check.flow_facts", "collect"),
    ("flow facts", "mcp_lint.check.flow_facts", "gather"),
    ("cross-module flows join", "mcp_lint.run.pipeline", "flow_stage"),
    ("project rules (manifests)", "mcp_lint.run.pipeline", "project_stage"),
    ("cache write", "mcp_lint.run.cache", "FindingsCache.save"),
    ("report (JSON)", "mcp_lint.cli.check", "_report"),
)


class Timers:
    """Exclusive time per stage: a timed call pauses the timer of the stage it was called from."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.stack: list[list] = []  # [label, started, child time]

    def wrap(self, label: str, fn):
        timers = self

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            frame = [label, time.perf_counter(), 0.0]
            timers.stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                timers.stack.pop()
                spent = time.perf_counter() - frame[1]
                timers.totals[label] = timers.totals.get(label, 0.0) + spent - frame[2]
                timers.calls[label] = timers.calls.get(label, 0) + 1
                if timers.stack:
                    timers.stack[-1][2] += spent
        return timed

    def reset(self) -> None:
        self.totals.clear()
        self.calls.clear()


def install(timers: Timers) -> list[str]:
    """Wrap every stage function; the names of those not found."""
    missing = []
    for label, module_name, attr in STAGES:
        if module_name is None:
            continue
        try:
            owner = importlib.import_module(module_name)
            *path, name = attr.split(".")
            for part in path:
                owner = getattr(owner, part)
            fn = getattr(owner, name)
        except (ImportError, AttributeError):
            missing.append(f"{module_name}.{attr}")
            continue
        setattr(owner, name, timers.wrap(label, fn))
    return missing


def run_check(argv: list[str]) -> float:
    from mcp_lint.cli.app import main

    saved = sys.argv
    sys.argv = ["mcp-lint", "check", *argv]
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main()
    except SystemExit:
        pass
    finally:
        sys.argv = saved
    return time.perf_counter() - t0


def stage_table(timers: Timers, wall: float) -> dict:
    rows = {}
    for label, _, _ in STAGES:
        if label in timers.totals and label not in rows:
            rows[label] = {"ms": timers.totals[label] * 1000.0, "calls": timers.calls[label]}
    named = sum(r["ms"] for r in rows.values())
    rows["other (arguments, cache bookkeeping, what no row names)"] = {"ms": max(0.0, wall * 1000.0 - named),
                                                                        "calls": 1}
    return {"wall_ms": wall * 1000.0, "rows": rows}


def rule_costs(corpus: Path) -> dict:
    """Each default rule's own analysis time over the corpus (ms), parse excluded."""
    import libcst as cst

    from mcp_lint.check.engine import Engine
    from mcp_lint.packs.registry import default_registry
    from mcp_lint.project.index import build
    from mcp_lint.source.guard import deep_stack

    registry = default_registry()
    rules = registry.select()
    files = sorted(p for p in corpus.rglob("*.py") if not any(part.startswith(".") for part in p.parts))
    project = build(files)
    codes = registry.all_codes()

    def engine(chosen):
        return Engine(chosen, known_codes=codes, project=project, knowledge=registry.knowledge,
                      always_walk=True)

    base = engine([])
    engines = {r.id: engine([r]) for r in rules if r.primitive not in ("parse-error", "unused-suppression")}
    spent = dict.fromkeys(["(no rules)", *engines], 0.0)
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            module = deep_stack(cst.parse_module, text)
        except Exception:  # noqa: BLE001 - a file the parser refuses costs every rule the same
            continue
        gc.collect()
        for rid, eng in [("(no rules)", base), *engines.items()]:
            t0 = time.process_time()
            try:
                deep_stack(eng._analyse, module, text, str(path))
            except Exception:  # noqa: BLE001
                pass
            spent[rid] += time.process_time() - t0
    floor = spent.pop("(no rules)")
    return {"analysis_without_rules_ms": floor * 1000.0,
            "rules_ms": {rid: max(0.0, s - floor) * 1000.0 for rid, s in sorted(spent.items(), key=lambda kv: -kv[1])}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--rules", action="store_true", help="also time each default rule on its own")
    ap.add_argument("--json", type=Path, help="write the numbers here too")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    timers = Timers()
    importlib.import_module("mcp_lint.cli.app")  # start-up, counted as its own row
    startup = time.perf_counter() - start
    missing = install(timers)
    flags = ["--output-format", "json", "-o", os.devnull, "--exit-zero", "-j", "1"]
    out: dict = {"missing_stages": missing}
    cold = run_check([str(args.corpus), "--no-cache", *flags])
    out["cold"] = stage_table(timers, cold)
    out["cold"]["rows"] = {"imports and start-up": {"ms": startup * 1000.0, "calls": 1}, **out["cold"]["rows"]}
    out["cold"]["wall_ms"] += startup * 1000.0
    with tempfile.TemporaryDirectory() as tmp:
        run_check([str(args.corpus), "--cache-dir", tmp, *flags])
        timers.reset()
        warm = run_check([str(args.corpus), "--cache-dir", tmp, *flags])
        out["warm"] = stage_table(timers, warm)
    if args.rules:
        out["rules"] = rule_costs(args.corpus)
    text = json.dumps(out)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
