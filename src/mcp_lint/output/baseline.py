"""Baselines: adopt mcp-lint on an existing code base and see only new findings.

`--write-baseline FILE` records every current finding; `--baseline FILE` then hides the
findings it records. A finding is keyed on its rule, its path relative to the project root
(the git top level, else the configuration's directory) and its content fingerprint, which
the engine computes from the enclosing function, the flagged code with whitespace removed
and its rank among identical findings there (`findings.fingerprint`): adding or removing
lines elsewhere, or re-indenting, does not bring a finding back; changing the flagged code
does.

    {
      "format": "mcp-lint-baseline",
      "version": 1,
      "findings": [
        {"rule": "MCP101", "path": "src/server.py", "fingerprint": "3f2a...", "line": 11,
         "message": "..."}
      ]
    }

`line` and `message` are for people reading the file; matching ignores them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mcp_lint.model.errors import BaselineError
from mcp_lint.source.write import write_text
from mcp_lint.model.findings import Finding
from mcp_lint.model.text import dumps_json
from mcp_lint.output.reporters.report import project_path

FORMAT = "mcp-lint-baseline"
VERSION = 1


@dataclass(frozen=True)
class Key:
    rule: str
    path: str
    fingerprint: str


def _key(finding: Finding, root: Path, cwd: Path) -> Key:
    rel = project_path(root, cwd, finding.path)
    return Key(finding.rule_id, rel if rel is not None else Path(finding.path).as_posix(), finding.fingerprint)


def write_baseline(path: Path, findings: list[Finding], root: Path, cwd: Path, version: str = "") -> int:
    entries = []
    for f in findings:
        key = _key(f, root, cwd)
        entries.append({"rule": key.rule, "path": key.path, "fingerprint": key.fingerprint,
                        "line": f.span.start_line, "message": f.message})
    entries.sort(key=lambda e: (e["path"], e["line"], e["rule"], e["fingerprint"]))
    doc = {"format": FORMAT, "version": VERSION, "tool_version": version, "findings": entries}
    write_text(path, dumps_json(doc) + "\n", make_parents=True)  # a name that is not UTF-8: \udcXX escapes
    return len(entries)


def load_baseline(path: Path) -> Counter[Key]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(str(path), None, f"no such file (create it with --write-baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(str(path), None, f"cannot read: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(str(path), exc.lineno, f"not valid JSON: {exc.msg}") from None
    except RecursionError:  # json nests by recursion; no baseline nests more than three levels
        raise BaselineError(str(path), None, "not a baseline file (JSON nested too deeply)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BaselineError(str(path), None, f"not an mcp-lint baseline (expected \"format\": \"{FORMAT}\")")
    if doc.get("version") != VERSION:
        raise BaselineError(str(path), None, f"unsupported baseline version {doc.get('version')!r} "
                            f"(this mcp-lint reads version {VERSION}; write a new one with --write-baseline)")
    entries = doc.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(str(path), None, f"\"findings\" must be a list")
    keys: Counter[Key] = Counter()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) and entry.get(k)
                                                  for k in ("rule", "path", "fingerprint")):
            raise BaselineError(str(path), None, f"findings[{i}] needs non-empty string \"rule\", \"path\" and "
                                f"\"fingerprint\"")
        keys[Key(entry["rule"], entry["path"], entry["fingerprint"])] += 1
    return keys


def filter_new(findings: list[Finding], known: Counter[Key], root: Path, cwd: Path) -> tuple[list[Finding], int]:
    """The findings the baseline does not record, and how many it hid."""
    left = Counter(known)
    new = []
    hidden = 0
    for f in findings:
        key = _key(f, root, cwd)
        if left[key] > 0:
            left[key] -= 1
            hidden += 1
        else:
            new.append(f)
    return new, hidden
