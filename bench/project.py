#!/usr/bin/env python3
"""A generated project of N modules, linted whole: how the project-wide analysis scales.

    python bench/project.py                      # 10,000 modules
    python bench/project.py --modules 2000 --jobs 2 --json project.json

The package has one server module that imports every tool module and calls its
`register(mcp)`; each tool module registers two tools whose parameters reach an SQL query and a
file path in a helper module (so every finding crosses a module boundary); half the modules are
helpers. It is written to a temporary folder, then `mcp-lint check` runs on it cold (`--no-cache`)
and warm (a rerun answered by the findings cache), each a whole process measured like
bench/bench.py does (wall time, CPU of the process and its workers, peak resident memory of the
largest single process). The number of findings is checked: two per tool module, each reached
across modules. Exit status 1 when a run fails or the findings are not all there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as harness  # noqa: E402 - the measuring functions of the corpus benchmark


def generate(n: int, root: Path) -> int:
    """Write the package under `root`; the number of tool modules (two findings each)."""
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    tools = max(1, (n - 2) // 2)
    helpers = max(1, n - 2 - tools)
    imports = "\n".join(f"from pkg import tools_{i}" for i in range(tools))
    calls = "\n".join(f"tools_{i}.register(mcp)" for i in range(tools))
    (pkg / "server.py").write_text(f"from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('big')\n{imports}\n"
                                   f"{calls}\n\nif __name__ == '__main__':\n    mcp.run()\n")
    for i in range(helpers):
        (pkg / f"helpers_{i}.py").write_text(f'''import sqlite3
from pathlib import Path

BASE = Path("/srv/data")


def query_{i}(name):
    conn = sqlite3.connect("app.db")
    return conn.execute(f"SELECT * FROM t WHERE name = '{{name}}'").fetchall()


def read_{i}(path):
    return (BASE / path).read_text()
''')
    for i in range(tools):
        h = i % helpers
        (pkg / f"tools_{i}.py").write_text(f'''from pkg.helpers_{h} import query_{h}, read_{h}


def register(mcp):
    @mcp.tool()
    def find_{i}(name: str) -> list:
        """Find rows."""
        return query_{h}(name)

    @mcp.tool()
    def show_{i}(path: str) -> str:
        """Show a file."""
        return read_{h}(path)
''')
    return tools


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modules", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=0, help="-j for mcp-lint (0: one worker per CPU)")
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    mcp = harness.mcp_lint_command()
    with tempfile.TemporaryDirectory(prefix="mcp-lint-project-") as tmp:
        work = Path(tmp)
        tools = generate(args.modules, work / "src")
        env = harness.child_env(work / "user-cache")
        report = work / "report.json"
        base = [*mcp, "check", str(work / "src"), "-j", str(args.jobs), "--output-format", "json",
                "-o", str(report), "--exit-zero", "--cache-dir", str(work / "cache")]
        rows = {}
        for name, extra in (("cold", ["--no-cache"]), ("fill cache", []), ("warm", [])):
            res = harness.run_measured([*base, *extra], cwd=work, env=env, timeout=args.timeout)
            if not res.get("ok"):
                print(f"{name}: FAILED: {res.get('reason')}", file=sys.stderr)
                return 1
            found = json.loads(report.read_text())["findings"]
            rows[name] = {"wall_s": res["wall_s"], "cpu_s": res["cpu_s"], "peak_mib": res["peak_mib"],
                          "findings": sum(1 for f in found if f["id"] in ("MCP101", "MCP103"))}
    expected = 2 * tools
    print(f"# a generated project of {args.modules:,} modules ({tools:,} tool modules, {expected:,} SQL and "
          f"path findings across modules expected), -j {args.jobs or os.cpu_count()}\n")
    print("| run | wall s | CPU s | peak MiB | MCP101 + MCP103 findings |")
    print("|---|---:|---:|---:|---:|")
    for name in ("cold", "warm"):
        r = rows[name]
        print(f"| {name} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['peak_mib']:.0f} | {r['findings']:,} |")
    ok = all(rows[name]["findings"] >= expected for name in ("cold", "warm"))
    if not ok:
        print(f"\nfewer findings than the {expected:,} the project holds", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"modules": args.modules, "expected_findings": expected, "runs": rows},
                                        indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
