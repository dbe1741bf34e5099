"""The MCP server model, observed through `mcp-lint inspect`.

Each fixture server under tests/fixtures/servers/ has a `<name>.expected.json` next to it
holding the part of the `inspect --json` document that the fixture is about. The expected
document is matched as a subset of the real one:

* dicts: every expected key must be present with a matching value (other keys are ignored);
* lists of servers, handlers, parameters and unresolved registrations are matched by their
  identity keys (e.g. a handler by (kind, function)), and must contain exactly the expected
  items: a missing item and an unexpected extra item both fail;
* other lists of dicts (transports) are matched as sets: every expected item must match some
  actual item and every actual item must match some expected item;
* scalars must be equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, run_cli

SERVERS = FIXTURES / "servers"
CASES = sorted(p for p in SERVERS.glob("*.py") if p.with_suffix(".expected.json").exists())

# Identity keys of the items of a list, by the key the list is found under.
IDENTITY: dict[str, tuple[str, ...]] = {
    "servers": ("binding", "constructor"),
    "handlers": ("kind", "function"),
    "params": ("name",),
    "unresolved": ("kind", "form", "expression"),
}


# ---------------------------------------------------------------------------------------------
# Subset matching
# ---------------------------------------------------------------------------------------------

def _ident(item: dict, keys: tuple[str, ...]) -> tuple:
    return tuple(item.get(k) for k in keys)


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def mismatches(expected: Any, actual: Any, path: str = "$", key: str | None = None) -> list[str]:
    """Every way in which `actual` fails to contain `expected`, one line each."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {_show(actual)}"]
        out = []
        for k, v in expected.items():
            if k not in actual:
                out.append(f"{path}.{k}: missing (expected {_show(v)})")
            else:
                out.extend(mismatches(v, actual[k], f"{path}.{k}", k))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {_show(actual)}"]
        if key in IDENTITY:
            return _match_keyed(expected, actual, path, IDENTITY[key])
        if all(isinstance(e, dict) for e in expected) and all(isinstance(a, dict) for a in actual):
            return _match_as_set(expected, actual, path)
        if expected != actual:
            return [f"{path}: expected {_show(expected)}, got {_show(actual)}"]
        return []
    if expected != actual:
        return [f"{path}: expected {_show(expected)}, got {_show(actual)}"]
    return []


def _match_keyed(expected: list, actual: list, path: str, keys: tuple[str, ...]) -> list[str]:
    out = []
    # Only the identity keys the expectation states take part (e.g. an unresolved
    # registration may be identified without its expression).
    used = tuple(k for k in keys if all(k in e for e in expected)) or keys
    by_id: dict[tuple, list[dict]] = {}
    for a in actual:
        by_id.setdefault(_ident(a, used), []).append(a)
    seen: set[tuple] = set()
    for e in expected:
        ident = _ident(e, used)
        label = f"{path}[{', '.join(f'{k}={v!r}' for k, v in zip(used, ident))}]"
        seen.add(ident)
        found = by_id.get(ident)
        if not found:
            out.append(f"{label}: missing")
            continue
        if len(found) > 1:
            out.append(f"{label}: reported {len(found)} times, expected once")
        out.extend(mismatches(e, found[0], label))
    for ident, items in by_id.items():
        if ident not in seen:
            out.append(f"{path}: unexpected item {', '.join(f'{k}={v!r}' for k, v in zip(used, ident))} "
                       f"(actual {_show(_brief(items[0]))})")
    return out


def _match_as_set(expected: list, actual: list, path: str) -> list[str]:
    out = []
    for i, e in enumerate(expected):
        if not any(not mismatches(e, a) for a in actual):
            out.append(f"{path}[{i}]: no item matches {_show(e)} (actual {_show(actual)})")
    for a in actual:
        if not any(not mismatches(e, a) for e in expected):
            out.append(f"{path}: unexpected item {_show(a)}")
    return out


def _brief(item: dict) -> dict:
    """An actual item without the bulky parts, for failure messages."""
    return {k: v for k, v in item.items() if k not in ("params", "registration", "line", "sanitizers")}


def test_matcher_reports_missing_extra_and_wrong_values():
    actual = {"handlers": [{"kind": "tool", "function": "a", "form": "T1", "params": []},
                           {"kind": "tool", "function": "b", "form": "T1", "params": []}],
              "servers": [{"binding": "mcp", "constructor": "x", "transports": [{"kind": "stdio"}]}]}
    expected = {"handlers": [{"kind": "tool", "function": "a", "form": "T3"},
                             {"kind": "tool", "function": "c"}],
                "servers": [{"binding": "mcp", "constructor": "x", "transports": [{"kind": "http"}]}]}
    problems = mismatches(expected, actual)
    text = "\n".join(problems)
    assert "[kind='tool', function='a'].form: expected \"T3\", got \"T1\"" in text
    assert "[kind='tool', function='c']: missing" in text
    assert "unexpected item kind='tool', function='b'" in text
    assert "no item matches {\"kind\": \"http\"}" in text
    assert "unexpected item {\"kind\": \"stdio\"}" in text
    assert mismatches({"handlers": [{"kind": "tool", "function": "a"}, {"kind": "tool", "function": "b"}]},
                      actual) == []


# ---------------------------------------------------------------------------------------------
# The fixtures
# ---------------------------------------------------------------------------------------------

def inspect_json(path: Path) -> dict:
    result = run_cli("inspect", "--json", str(path))
    assert result.exit_code == 0, f"inspect exited {result.exit_code}: {result.stdout}{result.stderr}"
    return result.json()


@pytest.mark.parametrize("fixture", CASES, ids=[p.stem for p in CASES])
def test_server_model(fixture: Path):
    expected = json.loads(fixture.with_suffix(".expected.json").read_text(encoding="utf-8"))
    doc = inspect_json(fixture)
    assert doc["error"] is None
    problems = mismatches(expected, doc)
    assert not problems, f"{fixture.name}: the server model differs from {fixture.stem}.expected.json:\n  " + \
        "\n  ".join(problems)


def test_every_fixture_has_an_expectation():
    orphans = [p.name for p in SERVERS.glob("*.py") if not p.with_suffix(".expected.json").exists()]
    stale = [p.name for p in SERVERS.glob("*.expected.json")
             if not (SERVERS / p.name.replace(".expected.json", ".py")).exists()]
    assert not orphans and not stale, f"fixtures without expectations: {orphans}; expectations without fixture: {stale}"


def test_expectations_use_the_model_vocabulary():
    """Catch typos in the expected files: a misspelt constraint would otherwise just fail later
    with a confusing message, or not at all if it sits in an item that is never compared."""
    constraints = {"none", "any", "container", "typed-container", "plain", "scalar", "field", "literal",
                   "model", "injected"}
    kinds = {"tool", "resource", "prompt", "tool-dispatcher", "resource-dispatcher", "prompt-dispatcher"}
    forms = {f"T{i}" for i in range(1, 11)} | {"R1", "R2", "P1", "P2", "fallback", "imported", "wrapper", "dispatched"}
    flavours = {"mcp1", "mcp2", "fastmcp", "lowlevel", "lowlevel-v1", "lowlevel-v2", "unknown"}
    for case in CASES:
        expected = json.loads(case.with_suffix(".expected.json").read_text(encoding="utf-8"))
        for h in expected.get("handlers", []):
            where = f"{case.stem}: handler {h.get('function')}"
            assert h.get("kind") in kinds, where
            assert h.get("form", "T1") in forms, where
            assert h.get("flavour", "mcp1") in flavours, where
            for p in h.get("params", []):
                assert p.get("constraint", "none") in constraints, f"{where}: param {p.get('name')}"
        for s in expected.get("servers", []):
            assert s.get("flavour", "mcp1") in flavours, f"{case.stem}: server {s.get('binding')}"


# ---------------------------------------------------------------------------------------------
# The text form
# ---------------------------------------------------------------------------------------------

TEXT_CASES = [SERVERS / "mcp1_decorators.py", SERVERS / "fastmcp_injection.py", SERVERS / "lowlevel_v2.py"]


@pytest.mark.parametrize("fixture", TEXT_CASES, ids=[p.stem for p in TEXT_CASES])
def test_inspect_text_mentions_every_handler_and_parameter(fixture: Path):
    doc = inspect_json(fixture)
    assert doc["handlers"], "the fixture should have handlers"
    result = run_cli("inspect", str(fixture))
    assert result.exit_code == 0, result.stdout
    text = result.stdout
    lines = text.splitlines()
    for h in doc["handlers"]:
        header = [i for i, line in enumerate(lines) if f"{h['function']}() line {h['line']}" in line]
        assert header, f"handler {h['function']} (line {h['line']}) is not shown:\n{text}"
        assert f"{h['kind']} " in lines[header[0]], lines[header[0]]
        # The parameters follow their handler's line, before the next handler.
        following = []
        for line in lines[header[0] + 1:]:
            if line.lstrip("│ ").startswith(("├── tool", "└── tool", "├── resource", "└── resource",
                                              "├── prompt", "└── prompt")):
                break
            following.append(line)
        block = "\n".join(following)
        for p in h["params"]:
            assert p["name"] in block, f"parameter {p['name']} of {h['function']} is not shown:\n{block}"
    for s in doc["servers"]:
        assert f"server {s['binding']}" in text


def test_inspect_text_does_not_cut_long_lines():
    """Piped or captured output has no terminal width; nothing may be cut off at 80 columns."""
    fixture = SERVERS / "lowlevel_v2.py"
    doc = inspect_json(fixture)
    text = run_cli("inspect", str(fixture)).stdout
    for h in doc["handlers"]:
        tail = f"[{h['form']}, {h['flavour']} on {h['server']}]"
        assert any(f"{h['function']}() line {h['line']} {tail}" in line for line in text.splitlines()), \
            f"the line of handler {h['function']} does not end with {tail}:\n{text}"
        for p in h["params"]:
            if p["why_not"]:
                assert p["why_not"] in text, f"the reason {p['why_not']!r} for {p['name']} is cut off:\n{text}"


def test_inspect_text_on_a_file_without_server(tmp_path: Path):
    path = tmp_path / "util.py"
    path.write_text("def add(a: int, b: int) -> int:\n    return a + b\n", encoding="utf-8")
    result = run_cli("inspect", str(path))
    assert result.exit_code == 0
    assert "no MCP server or handler found" in result.stdout


# ---------------------------------------------------------------------------------------------
# Files that cannot be parsed
# ---------------------------------------------------------------------------------------------

BROKEN = """\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("broken")

@mcp.tool()
def add(a: int, b: int -> int:
    return a + b
"""


def test_inspect_json_reports_a_syntax_error_without_traceback(tmp_path: Path):
    path = tmp_path / "broken.py"
    path.write_text(BROKEN, encoding="utf-8")
    result = run_cli("inspect", "--json", str(path))
    assert result.exit_code != 0
    doc = result.json()
    assert doc["path"] == str(path)
    assert doc["error"] and "parse" in doc["error"]
    assert "Traceback" not in result.stdout + result.stderr


def test_inspect_text_reports_a_syntax_error_without_traceback(tmp_path: Path):
    path = tmp_path / "broken.py"
    path.write_text(BROKEN, encoding="utf-8")
    result = run_cli("inspect", str(path))
    assert result.exit_code != 0
    assert "error:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_inspect_several_files_reports_each(tmp_path: Path):
    path = tmp_path / "broken.py"
    path.write_text(BROKEN, encoding="utf-8")
    good = SERVERS / "mcp1_decorators.py"
    result = run_cli("inspect", "--json", str(good), str(path))
    assert result.exit_code != 0  # one file could not be read
    docs = result.json()
    assert [d["path"] for d in docs] == [str(good), str(path)]
    assert docs[0]["error"] is None and docs[0]["handlers"]
    assert docs[1]["error"]
