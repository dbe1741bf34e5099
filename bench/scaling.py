#!/usr/bin/env python3
"""Does any rule cost more than n log n? A superlinearity check, not a speed benchmark.

For each enabled rule (one rule selected at a time), lint generated sources of growing size
n (functions of n statements, modules of n functions, literals of n entries) in the shapes
that rule looks at, in-process, and fit the growth exponent k of cost ~ n^k (the median of
the slopes between every two sizes on a log-log scale). A rule whose exponent on any of its
shapes is above --max-exponent (default 1.3: n log n over 250..4000 fits about 1.1) fails
the run (exit 1). The table shows, per rule and shape, the CPU seconds at each size and the
exponent.

    python bench/scaling.py                          # every enabled rule, sizes 250..4000
    python bench/scaling.py --rules MCP102,MCP501 --sizes 500,1000,2000,4000,8000
    python bench/scaling.py --json scaling.json

Run it with the interpreter of the environment mcp-lint is installed in. The time measured
is CPU time of the analysis (index, model, walk, the rule's checks, findings with their
positions) on the lint thread, the parse excluded (it is shared by every rule and linear);
each point is the best of --repeat runs, the garbage collector paused. MCP001 (the parser
guard and the parse) is measured as a whole `lint_text`. MCP601 reads manifests, not
Python: it has no shape here.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import sys
import time
from collections.abc import Callable

import libcst as cst

from mcp_lint.check.engine import Engine
from mcp_lint.model.rules import Rule
from mcp_lint.packs.registry import default_registry
from mcp_lint.source.guard import deep_stack

DEFAULT_SIZES = (250, 500, 1000, 2000, 4000)

HEADER = '''\
import asyncio
import hashlib
import os
import pickle
import sqlite3
import subprocess
import time

import httpx
import jwt
import requests
import yaml
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("scaling")
ALLOWED = {"a", "b", "c"}
'''


def _tool(body: list[str], name: str = "tool", is_async: bool = False,
          params: str = "q: str, path: str, url: str, password: str, n: int") -> str:
    head = f'@mcp.tool()\n{"async " if is_async else ""}def {name}({params}) -> str:\n    """A tool."""\n'
    return head + "".join(f"    {line}\n" for line in body) + "    return q\n"


# -- shapes: n -> source ------------------------------------------------------------------------

_SINKS = (
    'os.system(v{i})',
    'subprocess.run(v{i}, shell=True, timeout=5)',
    'subprocess.run(["git", "log", v{i}], timeout=5)',
    'open(path + v{i}).read()',
    'eval(v{i})',
    'requests.get(url + v{i}, timeout=5)',
    'pickle.loads(v{i}.encode())',
    'sqlite3.connect("x.db").execute(f"SELECT * FROM t WHERE c = {{v{i}}}")',
    'yaml.load(v{i}, Loader=yaml.Loader)',
)


def sinks(n: int) -> str:
    """One tool: `v_i = q + "i"` and a sink of each kind on it, n statements."""
    body = []
    for i in range(n // 2):
        body.append(f'v{i} = q + "{i}"')
        body.append(_SINKS[i % len(_SINKS)].format(i=i))
    return HEADER + _tool(body)


def reassign(n: int) -> str:
    """One tool: `v = v + "i"` and a sink on v, in turn (a growing flow), n statements."""
    body = ["v = q"]
    for i in range(n // 2):
        body.append(f'v = v + "{i}"')
        body.append(_SINKS[i % len(_SINKS)].replace("v{i}", "v").format(i=i))
    return HEADER + _tool(body)


def chain(n: int) -> str:
    """One tool: `a_i = a_(i-1) + "x"` (each name new) and, every 8th, a sink on it."""
    body = ['a0 = q + "x"']
    for i in range(1, n):
        body.append(f'a{i} = a{i - 1} + "x"')
        if i % 8 == 0:
            body.append(f"os.system(a{i})")
    return HEADER + _tool(body)


def branches(n: int) -> str:
    """One tool: allow-list checks, conditional assignments and sinks inside ifs."""
    body = ['v = q']
    for i in range(n // 3):
        k = i % 3
        if k == 0:
            body += [f'if v not in ALLOWED and v != "{i}":', '    raise ValueError("not allowed")']
        elif k == 1:
            body += [f'if n > {i}:', f'    v = q + "{i}"']
        else:
            body += ['if v:', f'    subprocess.run(v, shell=True, timeout={i % 7 + 1})']
    return HEADER + _tool(body)


def helpers(n: int) -> str:
    """A chain of n helpers, each calling the next; the last runs a command. Every tool
    (one per 10 helpers) enters the chain."""
    out = [HEADER]
    for i in range(n):
        nxt = f"helper_{i + 1}(x + \"{i}\")" if i + 1 < n else "os.system(x)"
        out.append(f"def helper_{i}(x):\n    return {nxt}\n\n")
    for i in range(0, n, 10):
        out.append(_tool([f"helper_{i}(q)"], name=f"tool_{i}"))
    return "".join(out)


def dispatch(n: int) -> str:
    """A low-level server: one call_tool dispatching on the name in n `match` cases."""
    cases = "".join(f'        case "t{i}":\n            cmd = arguments["c{i}"]\n'
                    f'            return os.popen(cmd).read()\n' for i in range(n))
    return ('import os\nfrom mcp.server.lowlevel import Server\n\nserver = Server("x")\n\n\n'
            '@server.call_tool(validate_input=False)\nasync def call_tool(name: str, arguments: dict) -> list:\n'
            f'    match name:\n{cases}        case _:\n            raise ValueError(name)\n')


def sql(n: int) -> str:
    """SQL built by `+=` in one tool, executed at the end and at every 16th step."""
    body = ['conn = sqlite3.connect("x.db")', 'sql = "SELECT * FROM t WHERE 1 = 1"']
    for i in range(n):
        body.append(f"sql += f\" AND c{i} = '{{q}}'\"" if i % 16 else "conn.execute(sql)")
    body.append("conn.execute(sql)")
    return HEADER + _tool(body)


def secrets(n: int) -> str:
    """Module constants, dict entries and call keywords with secret-like names and values."""
    out = [HEADER]
    for i in range(n):
        k = i % 4
        if k == 0:
            out.append(f'API_KEY_{i} = "Zx9{i:05d}Qw8Lp2Rt7Yu6Io5Pa4Sd3"\n')
        elif k == 1:
            out.append(f'SETTINGS_{i} = {{"password": "hunter2-{i}", "user": "u{i}"}}\n')
        elif k == 2:
            out.append(f'NOTE_{i} = "AKIAZ{i:015d}"\n')
        else:
            out.append(f'client_{i} = httpx.Client(headers={{"Authorization": "Bearer t0k3n{i}ab"}}, timeout=5)\n')
    return "".join(out)


def literals(n: int) -> str:
    """Adversarial string literals of 40 n characters: a key-format prefix over and over, an
    unclosed `<` and `{` run, URL templates whose fields never close."""
    size = 40 * n
    sk = ("sk-" * (size // 3 + 1))[:size]
    return (HEADER + f'TOKEN_NOTE = "{sk}"\napi_key = "{"<" * size}"\nsecret_token = "{"{" * size}"\n\n\n'
            + _tool([f'requests.get("{{{"a" * size}".format(url), timeout=5)',
                     f'requests.get("{"%(" * (size // 2)}" % url, timeout=5)',
                     f'requests.get("%{"0" * size}" % url, timeout=5)']))


def data(n: int) -> str:
    """A data module: one dict literal of n entries."""
    entries = "".join(f'    "key{i}": {{"a": {i}, "b": [1, 2, 3], "c": "value {i}"}},\n' for i in range(n))
    return f"TABLE = {{\n{entries}}}\n"


_CALLS = (
    "requests.get(url)",
    "time.sleep(1)",
    "httpx.Client()",
    "hashlib.md5(password.encode()).hexdigest()",
    "requests.get(url, verify=False, timeout=5)",
    'jwt.decode(q, "k", options={{"verify_signature": False}})',
    "subprocess.run([\"ls\"], check=True)",
    "httpx.get(url, timeout=None)",
)


def calls(n: int) -> str:
    """One async tool with n library calls of the kinds call checks look at."""
    return HEADER + _tool([_CALLS[i % len(_CALLS)].format() for i in range(n)], is_async=True)


def tools(n: int) -> str:
    """n small tools: typed and untyped, with and without docs, plus registration calls."""
    out = [HEADER]
    for i in range(n):
        k = i % 4
        if k == 0:
            out.append(f'@mcp.tool()\ndef t{i}(a, b: dict) -> str:\n    return str(a)\n\n')
        elif k == 1:
            out.append(f'@mcp.tool()\ndef t{i}(a: str) -> str:\n    """Doc."""\n    return a\n\n')
        elif k == 2:
            out.append(f'def f{i}(a: str) -> str:\n    return a\n\nmcp.add_tool(f{i}, "n{i}", "d{i}")\n\n')
        else:
            out.append(f'@mcp.tool\ndef t{i}(a: str) -> str:\n    """Doc."""\n    return a\n\n')
    return "".join(out)


def errors(n: int) -> str:
    """One tool with raises, swallowed exceptions, leaks, retries and error results."""
    body = []
    for i in range(n // 4):
        k = i % 5
        if k == 0:
            body += [f"if n == {i}:", '    raise ValueError("bad input")']
        elif k == 1:
            body += ["try:", f'    x{i} = int(q)', "except Exception:", "    pass"]
        elif k == 2:
            body += ["try:", f'    y{i} = int(q)', "except Exception as e:", "    return str(e)"]
        elif k == 3:
            body += ["for attempt in range(3):", "    try:", "        requests.get(url, timeout=5)",
                     "        break", "    except Exception:", "        continue"]
        else:
            body += [f"if n == -{i}:", f'    return {{"error": "failed {i}"}}']
    return HEADER + _tool(body)


def awaits(n: int) -> str:
    """One async tool: n/4 loops each awaiting per item, and one loop with n/2 awaits."""
    body = ["client = httpx.AsyncClient(timeout=5)", "items = q.split()"]
    for i in range(n // 4):
        body += ["for item in items:", f"    await client.get(url + item + '{i}')"]
    body.append("for item in items:")
    body += [f"    r{i} = await client.get(url + item)" for i in range(n // 2)]
    return HEADER + _tool(body, is_async=True)


def prints(n: int) -> str:
    """A stdio server: n prints in one function, n/4 at module level."""
    body = "".join(f'    print("line {i}")\n' for i in range(n))
    module = "".join(f'print("module {i}")\n' for i in range(n // 4))
    return (HEADER + f"def report() -> None:\n{body}\n\n{module}\nif __name__ == \"__main__\":\n"
            "    report()\n    mcp.run()\n")


def servers(n: int) -> str:
    """n HTTP servers started on all interfaces, with and without auth settings."""
    out = ["from mcp.server.fastmcp import FastMCP\n\n"]
    for i in range(n):
        out.append(f's{i} = FastMCP("s{i}", host="0.0.0.0")\n')
    out.append('if __name__ == "__main__":\n')
    out += [f'    s{i}.run(transport="streamable-http")\n' for i in range(n)]
    return "".join(out)


SHAPES: dict[str, Callable[[int], str]] = {
    f.__name__: f for f in (sinks, reassign, chain, branches, helpers, dispatch, sql, secrets, literals, data,
                            calls, tools, errors, awaits, prints, servers)}

# The shapes each primitive looks at (every rule also runs on `sinks`, a mix of everything).
BY_PRIMITIVE: dict[str, tuple[str, ...]] = {
    "parse-error": ("data", "sinks"),
    "tainted-call": ("sinks", "reassign", "chain", "branches", "helpers", "dispatch", "literals"),
    "formatted-string-sink": ("sinks", "sql", "reassign"),
    "hardcoded-secret": ("secrets", "literals", "data"),
    "call-check": ("calls", "sinks"),
    "unauthenticated-http": ("servers",),
    "handler-parameter": ("tools", "sinks"),
    "missing-description": ("tools",),
    "add-tool-positional": ("tools",),
    "decorator-not-called": ("tools",),
    "unvalidated-arguments": ("dispatch",),
    "generic-raise": ("errors", "dispatch"),
    "swallowed-exception": ("errors",),
    "exception-leak": ("errors",),
    "retry-without-backoff": ("errors",),
    "error-result": ("errors",),
    "await-in-loop": ("awaits",),
    "stdout-write": ("prints",),
}
NO_SHAPE = {"unbounded-dependency": "reads manifests, not Python", "unused-suppression": "off by default"}


# -- measuring ------------------------------------------------------------------------------------

def exponent(sizes: list[int], seconds: list[float]) -> float:
    """The growth exponent k of seconds ~ n^k: the median slope of log(seconds) over log(n)
    between every two sizes (Theil-Sen: one disturbed point does not move it)."""
    points = [(math.log(n), math.log(max(s, 1e-6))) for n, s in zip(sizes, seconds)]
    slopes = sorted((y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1:])
    return statistics.median(slopes)


def _cpu(fn) -> float:
    """CPU seconds of `fn()`, the garbage collector paused: its pauses depend on everything
    else the process holds, not on the work measured."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        fn()
        return time.process_time() - start
    finally:
        gc.enable()


def measure(engine: Engine, source: str, module: cst.Module | None, repeat: int) -> float:
    """Best CPU seconds of `repeat` runs: the analysis of a parsed module, or (module None:
    the parse-error rule) the whole lint of the text."""
    if module is None:
        run = lambda: engine.lint_text(source, "scaling.py")  # noqa: E731 - runs on the lint thread itself
    else:
        run = lambda: deep_stack(engine._analyse, module, source, "scaling.py")  # noqa: E731
    return min(_cpu(run) for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated n")
    parser.add_argument("--rules", default="", help="comma-separated rule ids (default: every enabled rule)")
    parser.add_argument("--shapes", default="", help="comma-separated shapes (default: each rule's own)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per point; the best is kept")
    parser.add_argument("--max-exponent", type=float, default=1.3)
    parser.add_argument("--json", help="also write the measurements here")
    args = parser.parse_args(argv)
    sizes = sorted({int(x) for x in args.sizes.split(",") if x})
    if len(sizes) < 3:
        parser.error("--sizes needs at least three sizes to fit a growth exponent")
    registry = default_registry()
    rules = registry.select()
    if args.rules:
        wanted = {r.strip() for r in args.rules.split(",") if r.strip()}
        rules = [r for r in registry.rules if r.id in wanted]
        missing = wanted - {r.id for r in rules}
        if missing:
            parser.error(f"unknown rule(s): {', '.join(sorted(missing))}")
    only = [s for s in args.shapes.split(",") if s]
    unknown = [s for s in only if s not in SHAPES]
    if unknown:
        parser.error(f"unknown shape(s): {', '.join(unknown)} (known: {', '.join(SHAPES)})")

    plan: list[tuple[Rule, str]] = []
    for rule in rules:
        if rule.primitive in NO_SHAPE:
            print(f"{rule.id:7s} skipped: {NO_SHAPE[rule.primitive]}", flush=True)
            continue
        shapes = only or list(BY_PRIMITIVE.get(rule.primitive, ("sinks",)))
        plan += [(rule, shape) for shape in shapes]

    print(f"sizes: {', '.join(map(str, sizes))}; CPU seconds, best of {args.repeat}; "
          f"fail above exponent {args.max_exponent}", flush=True)
    engines = {rule.id: Engine([rule], known_codes=registry.all_codes()) for rule, _ in plan}
    measured: dict[tuple[str, str], list[float]] = {}
    for shape in dict.fromkeys(shape for _, shape in plan):  # each shape parsed once, for every rule
        users = [rule for rule, s in plan if s == shape]
        for n in sizes:
            text = SHAPES[shape](n)
            module = deep_stack(cst.parse_module, text)
            for rule in users:
                measured.setdefault((rule.id, shape), []).append(
                    measure(engines[rule.id], text, None if rule.primitive == "parse-error" else module, args.repeat))
            del module
        print(f"  measured {shape} ({len(users)} rules)", flush=True)

    print(f"\n{'rule':7s} {'shape':9s} " + " ".join(f"{n:>8d}" for n in sizes) + "  exponent", flush=True)
    rows = []
    failed = []
    for rule, shape in plan:
        seconds = measured[(rule.id, shape)]
        k = exponent(sizes, seconds)
        bad = k > args.max_exponent
        if bad:
            failed.append((rule.id, shape, k))
        rows.append({"rule": rule.id, "shape": shape, "sizes": sizes, "seconds": seconds,
                     "exponent": round(k, 3), "superlinear": bad})
        print(f"{rule.id:7s} {shape:9s} " + " ".join(f"{s:8.3f}" for s in seconds)
              + f"  {k:6.2f}{'  FAIL' if bad else ''}", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"sizes": sizes, "max_exponent": args.max_exponent, "rows": rows}, fh, indent=1)
    if failed:
        print(f"\n{len(failed)} superlinear: " + ", ".join(f"{r} on {s} (n^{k:.2f})" for r, s, k in failed))
        return 1
    print(f"\nno rule grows faster than n^{args.max_exponent} over n = {sizes[0]}..{sizes[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
