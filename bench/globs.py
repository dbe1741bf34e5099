"""Timing of glob matching on patterns built to make a backtracking matcher explode.

    python bench/globs.py [--json OUT] [--no-reference] [--no-cli]

Patterns such as `**********x` (a run of stars), `*a*a*a...b` (stars between literals) and
`**/a/**/a/.../b` (globstars between segments) cost a regular-expression translation time
exponential in the number of stars on a name that almost matches. mcp-lint's matcher
(`mcp_lint.source.globs`) must stay linear in the pattern. For each family and size the
script times it on long names (a 255-byte name, three `module_with_a_rather_long_name_N.py`,
a path 2,000 directories deep) and checks:

- every match finishes under `--bound` seconds (default 0.5 s);
- ten times the stars costs at most 40 times the time (linear is 10: the margin absorbs noise
  and the per-name cost);
- the CLI run on the three long names with `**********x` in `.gitignore`, `exclude`,
  `extend-exclude` and `per-file-ignores` takes under `--cli-bound` seconds (default 10 s; the
  regular-expression translation took 36 s with ten stars).

For contrast it times pathspec's GitIgnoreSpec (the reference semantics) on the three module
names and small sizes only, in a subprocess killed after `--reference-timeout` seconds. Exit
status 1 when a bound is broken.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mcp_lint.source.globs import GlobSpec

MODULES = [f"module_with_a_rather_long_name_{i}.py" for i in (1, 2, 3)]
NAMES = ["a" * 255, "e" * 254, "/".join(["a"] * 2000), "/".join(["a"] * 500 + ["c", "b"])] + MODULES
FAMILIES = {
    "star-run": lambda k: "*" * k + "x",
    "star-literal": lambda k: "*a" * k + "b",
    "star-e": lambda k: "*e" * k + "q",
    "globstar": lambda k: "**/a/" * k + "b",
}
SIZES = [10, 100, 1000]
REFERENCE_SIZES = [4, 6, 8, 10]


def time_ours(pattern: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        spec = GlobSpec.from_lines([pattern])  # fresh: no per-segment cache carried over
        start = time.perf_counter()
        for name in NAMES:
            spec.match_file(name)
        best = min(best, time.perf_counter() - start)
    return best


def time_reference(pattern: str, timeout: float) -> float | None:
    code = ("import sys,time,warnings,pathspec;warnings.simplefilter('ignore');"
            "s=pathspec.GitIgnoreSpec.from_lines([sys.argv[1]]);t=time.perf_counter();"
            f"[s.match_file(n) for n in {MODULES!r}];print(time.perf_counter()-t)")
    try:
        out = subprocess.run([sys.executable, "-c", code, pattern], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return float(out.stdout) if out.returncode == 0 else None


def time_cli(stars: int = 10) -> dict[str, float]:
    pattern = "*" * stars + "x"
    out = {}
    for where in ("gitignore", "exclude", "extend-exclude", "per-file-ignores"):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / ".git").mkdir()
            for i in (1, 2, 3):
                (root / f"module_with_a_rather_long_name_{i}.py").write_text("x = 1\n", encoding="utf-8")
            if where == "gitignore":
                (root / ".gitignore").write_text(pattern + "\n", encoding="utf-8")
            elif where == "per-file-ignores":
                (root / "pyproject.toml").write_text(f'[tool.mcp-lint.per-file-ignores]\n"{pattern}" = ["MCP1"]\n',
                                                     encoding="utf-8")
            else:
                (root / "pyproject.toml").write_text(f'[tool.mcp-lint]\n{where} = ["{pattern}"]\n', encoding="utf-8")
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mcp_lint", "--no-cache", "."], cwd=root, capture_output=True,
                           timeout=600)
            out[where] = time.perf_counter() - start
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--bound", type=float, default=0.5)
    parser.add_argument("--cli-bound", type=float, default=10.0)
    parser.add_argument("--reference-timeout", type=float, default=20.0)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--no-cli", action="store_true")
    args = parser.parse_args(argv)

    failures: list[str] = []
    report: dict = {"ours": {}, "reference": {}, "cli": {}}
    print(f"{'family':<14}{'stars':>7}{'mcp-lint s':>14}")
    for family, build in FAMILIES.items():
        times = []
        for k in SIZES:
            seconds = time_ours(build(k))
            times.append(seconds)
            report["ours"][f"{family}/{k}"] = seconds
            print(f"{family:<14}{k:>7}{seconds:>14.6f}")
            if seconds > args.bound:
                failures.append(f"{family} with {k} stars took {seconds:.3f} s (bound {args.bound} s)")
        for (k1, t1), (k2, t2) in zip(zip(SIZES, times), zip(SIZES[1:], times[1:])):
            if t2 > 40 * max(t1, 1e-4):
                failures.append(f"{family}: {k2} stars cost {t2 / max(t1, 1e-4):.0f}x {k1} stars (not linear)")

    if not args.no_reference:
        print(f"\n{'reference':<14}{'stars':>7}{'pathspec s':>14}")
        for family in ("star-run", "star-literal"):
            for k in REFERENCE_SIZES:
                seconds = time_reference(FAMILIES[family](k), args.reference_timeout)
                report["reference"][f"{family}/{k}"] = seconds
                shown = f"{seconds:.3f}" if seconds is not None else f"> {args.reference_timeout:g}"
                print(f"{family:<14}{k:>7}{shown:>14}")
                if seconds is None:
                    break  # larger sizes only take longer

    if not args.no_cli:
        print(f"\n{'CLI, ten stars':<28}{'seconds':>10}")
        for where, seconds in time_cli().items():
            report["cli"][where] = seconds
            print(f"{where:<28}{seconds:>10.2f}")
            if seconds > args.cli_bound:
                failures.append(f"CLI with the pattern in {where} took {seconds:.1f} s (bound {args.cli_bound} s)")

    if args.json:
        args.json.write_text(json.dumps({**report, "failures": failures}, indent=2) + "\n", encoding="utf-8")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
