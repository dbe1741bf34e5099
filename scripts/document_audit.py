#!/usr/bin/env python3
"""Generate docs/audit.md: how `mcp-lint audit` works and, for every checklist item, the text
`mcp-lint audit --explain ITEM` prints (from src/mcp_lint/output/audit/items.py).

    python scripts/document_audit.py          # write the page
    python scripts/document_audit.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mcp_lint.output.audit.items import AREAS, ITEMS, explain
from mcp_lint.output.audit.model import SCORE_FORMULA

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "audit.md"

INTRO = f"""\
# `mcp-lint audit`: the production checklist as a scorecard

```bash
mcp-lint audit [PATH]                          # a table on the terminal (PATH: the project root, default .)
mcp-lint audit --output-format markdown        # for a pull-request comment or $GITHUB_STEP_SUMMARY
mcp-lint audit --output-format json -o a.json  # validated by src/mcp_lint/output/audit/audit.schema.json
mcp-lint audit --fail-under 70                 # exit 1 below a score of 70
mcp-lint audit --explain health-checks         # how an item is judged, and its limits
```

The audit scores a server project against a production checklist of 25 items in five areas
(Development, Security, Performance, Operations, Maintenance). Each item gets a **status**, a
one-line **verdict**, a **confidence** and its **evidence** as `file:line` references:

| status | meaning |
|---|---|
| `pass` | the code or repository shows the practice |
| `partial` | part of it, or a weaker form |
| `fail` | not done, or done wrong (the evidence says where) |
| `not-applicable` | the item does not apply to this server, with the reason (health checks for a stdio-only server) |
| `manual` | no static judgement would be honest; the reason says what a reviewer should look at |

**Confidence** says how much the verdict rests on heuristics: `high` where it follows from rule
findings or the server model (a parameter's annotation, a transport, an `auth=`), `medium` where
names or shapes are matched (a tool counts as tested when a test references it), `low` where the
verdict is a guess about intent (whether a read deserves a cache).

**Score**: {SCORE_FORMULA}. Rounded to one decimal; per-area scores are computed the same way.
A project with no countable item scores 0 for `--fail-under`.

**Exit codes**: 0; 1 when `--fail-under N` is given and the score is below N; 2 on a usage,
configuration or rule-pack error (an unknown `--explain` item, a score outside 0-100, a PATH
that is not a directory).

## What it reads

- **The same analysis as `check`**, once: `mcp-lint audit PATH` runs the check over PATH with the
  configuration's rules (`[tool.mcp-lint]` select/ignore, suppressions and per-file-ignores all
  apply), and one more primitive, `audit-facts`, gathers the audit's per-file facts during the
  same walk (servers, transports, auth, tools and their parameters, logging/metrics/tracing
  set-up, health routes, caches, clients and lifespans, queries in loops, coded errors; and for
  test files their imports, calls and in-memory clients). The facts are plain data: they travel
  from worker processes and are kept in the findings cache with the findings, so a second audit
  of an unchanged project parses nothing. Each file is parsed once.
- **Roles of files**, from their path under PATH: tests (`tests/`, `test_*.py`, `*_test.py`,
  `conftest.py`), examples (`examples/`, `samples/`, `demo/`), benchmarks (`bench/`,
  `benchmarks/`) and the server's code (everything else). Findings, servers and tools of tests
  and examples do not judge the server.
- **The repository's other files**, by name, under PATH: manifests and lock files, CI
  configuration, Dependabot/Renovate, Dockerfiles, compose files and Kubernetes manifests, the
  README and docs/, examples, benchmarks, linter and type-checker configuration. Python files are
  never read a second time.
- A rule that the configuration disables gives no findings: an item that reads it says so in its
  verdict and drops to `low` confidence.

General limits: PATH is taken as the project root, so CI or bots at the root of a monorepo are
not seen when PATH is a sub-project; nothing is run or imported, so what happens at run time
(environment-configured auth, a transport chosen by a flag, a platform's health probe) is seen
only as far as the code and files state it.

In GitHub Actions the composite action writes the Markdown scorecard to the job summary with
`audit: "true"` (and `audit-path`, `audit-fail-under`; output `audit-score`).
"""


def page() -> str:
    parts = [INTRO]
    for area in AREAS:
        parts.append(f"\n## {area}\n")
        for item in ITEMS:
            if item.area == area:
                parts.append("\n" + explain(item))
    return "".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/audit.md is out of date")
    args = parser.parse_args()
    text = page()
    current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else None
    if current == text:
        return 0
    if args.check:
        print("out of date (run scripts/document_audit.py): docs/audit.md")
        return 1
    PAGE.write_text(text, encoding="utf-8")
    print("wrote docs/audit.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
