"""Property: hostile configurations and file names never crash mcp-lint or reach a terminal raw.

- Configurations: TOML documents built from the real `[tool.mcp-lint]` schema
  (`source.config._SCHEMA`), its keys given values of the right type and hostile ones (huge
  integers, inf and nan, deep nesting, wrong types, control characters, backtracking globs,
  unknown keys), written in every TOML spelling of the table (`[tool.mcp-lint]`, dotted keys,
  an inline table, `[[tool.mcp-lint]]`, a standalone `--config` file), possibly behind a BOM,
  with CRLF line endings or with a byte that is not UTF-8. The CLI exits 0, 1 or 2, raises
  nothing, and on exit 2 prints exactly one `error:` line naming the file.
- File names: any bytes a Linux file system takes in a name (all but `/` and NUL: control
  characters, escape sequences, bidi controls, invalid UTF-8). Every output format is
  written, JSON and SARIF parse (and SARIF validates, see conftest), the JSON names the exact
  files, and no output holds a raw control character.

The default example counts keep CI fast. A long campaign:

    MCP_LINT_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz_hostile.py -p no:cacheprovider

(`MCP_LINT_FUZZ_SEED=<n>` replays one; a failure prints the document or the names.)
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, event, given, seed, settings, strategies as st  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from conftest import SERVER  # noqa: E402
from mcp_lint.cli import app as cli  # noqa: E402
from mcp_lint.source.config import _SCHEMA  # noqa: E402

EXAMPLES = int(os.environ.get("MCP_LINT_FUZZ_EXAMPLES", "0")) or None
SEED = os.environ.get("MCP_LINT_FUZZ_SEED")


def _settings(default: int):
    count = EXAMPLES or default
    chosen = settings(max_examples=count, deadline=None, database=None,
                      derandomize=SEED is None and count <= 100,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.filter_too_much])
    return (lambda f: seed(int(SEED))(chosen(f))) if SEED is not None else chosen


def _invoke(args: list[str], cwd: Path):
    """The CLI in-process, exceptions propagating (a traceback fails the property)."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli.app, cli.normalise_args(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def _warm() -> None:
    """One lint before any example: the engine raises the recursion limit for its own thread
    the first time, which hypothesis would otherwise report as changed by a test."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "warm.py").write_text("x = 1\n", encoding="utf-8")
        _invoke(["--no-cache", "."], Path(tmp))


_warm()


def _raw_controls(text: str, allowed: str = "\n") -> list[str]:
    return [repr(c) for c in text if (ord(c) < 32 and c not in allowed) or 0x7F <= ord(c) <= 0x9F
            or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
            or 0xD800 <= ord(c) <= 0xDFFF]


# -- TOML built from the schema, with hostile values ------------------------------------------------

class Raw(str):
    """TOML text written as it is (deep nesting, spellings the serializer would not produce)."""


def toml_value(value) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # \uXXXX escapes are TOML's too (a lone surrogate is invalid TOML)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


CODES = ["MCP101", "MCP1", "MCP", "ALL", "sql-string-formatting", "MCP999", "mcp-core", "", "MCP4", "E501"]
GLOBS = ["build", "tests/**", "*.py", "*" * 40 + "x", "*a" * 20 + "b", "**/a/" * 10, "foo\\", "[z-a]",
         "[unclosed", "!", "/", "#c", "a\nb", "\x1b[31m", "\u202e", "x" * 300, "."]
HUGE_INTS = [0, -1, 1, 2 ** 31, 2 ** 63 - 1, 2 ** 63, 10 ** 100, 1073741824, 1073741825]
NUMBERS = [math.inf, -math.inf, math.nan, 1e300, -0.0, 0.5, 30.0, 86400.0, 86400.5, 5e-324]

scalars = st.one_of(
    st.sampled_from(HUGE_INTS), st.sampled_from(NUMBERS), st.booleans(), st.sampled_from(CODES),
    st.sampled_from(GLOBS), st.text(max_size=8), st.integers(),
    st.sampled_from(["4 MiB", "1 GiB", "2 GiB", "1.5 KiB", "0 b", "9" * 400 + " GiB", "big", "-1 KB"]),
)
deep = st.builds(lambda depth, table: Raw("{a=" * depth + "1" + "}" * depth if table else "[" * depth + "]" * depth),
                 st.sampled_from([1, 2, 50, 100, 101, 3000]), st.booleans())
values = st.recursive(st.one_of(scalars, deep),
                      lambda inner: st.one_of(st.lists(inner, max_size=3),
                                              st.dictionaries(st.sampled_from(CODES + GLOBS), inner, max_size=3)),
                      max_leaves=6)


def _typed(key: str):
    """Values of the type the schema wants for `key` (so validation gets past the type)."""
    if key in ("select", "extend-select", "ignore"):
        return st.lists(st.sampled_from(CODES), max_size=3)
    if key in ("exclude", "extend-exclude", "rule-packs"):
        return st.lists(st.sampled_from(GLOBS), max_size=3)
    if key == "per-file-ignores":
        return st.dictionaries(st.sampled_from(GLOBS), st.lists(st.sampled_from(CODES), max_size=2), max_size=2)
    if key == "severity":
        return st.dictionaries(st.sampled_from(CODES), st.sampled_from(["error", "warning", "info", "fatal"]),
                               max_size=2)
    if key == "respect-gitignore":
        return st.booleans()
    if key == "cache-dir":
        return st.sampled_from(["cache", ".mcp_lint_cache", "a\x00b", "", "\x1b[2J"])
    if key == "max-file-size":
        return st.one_of(st.sampled_from(HUGE_INTS), st.sampled_from(["4 MiB", "1 GiB", "2 GiB", "9" * 400 + " GiB"]))
    return st.one_of(st.sampled_from(NUMBERS), st.sampled_from(HUGE_INTS))  # file-timeout


KEYS = sorted(_SCHEMA.keys) + ["slect", "tool", "mcp-lint"]
sections = st.dictionaries(st.sampled_from(KEYS), st.just(None), max_size=4).flatmap(
    lambda keys: st.fixed_dictionaries({k: st.one_of(_typed(k), values) if k in _SCHEMA.keys else values
                                        for k in keys}))


def _document(section: dict, form: str) -> str:
    body = "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in section.items())
    if form == "table":
        return '[project]\nname = "demo"\n\n[tool.mcp-lint]\n' + body
    if form == "array-table":
        return "[[tool.mcp-lint]]\n" + body
    if form == "dotted":
        return "".join(f"tool.mcp-lint.{json.dumps(k)} = {toml_value(v)}\n" for k, v in section.items()) or \
            "tool.mcp-lint = {}\n"
    if form == "inline":
        return "[tool]\nmcp-lint = " + toml_value(section) + "\n"
    return body  # standalone: the keys at top level


documents = st.tuples(sections, st.sampled_from(["table", "table", "array-table", "dotted", "inline", "standalone"]),
                      st.sampled_from(["", "bom", "crlf", "latin1", "nul"]))


def _encode(text: str, damage: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    if damage == "bom":
        return b"\xef\xbb\xbf" + data
    if damage == "crlf":
        return data.replace(b"\n", b"\r\n")
    if damage == "latin1":
        return data.replace(b"=", b"= \xe9", 1)
    if damage == "nul":
        return data.replace(b"\n", b"\n\x00", 1)
    return data


@_settings(40)
@given(document=documents)
def test_hostile_configurations_exit_0_1_or_2_with_one_line(document):
    section, form, damage = document
    text = _document(section, form)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "server.py").write_text(SERVER, encoding="utf-8")
        name = "lint.toml" if form == "standalone" else "pyproject.toml"
        (root / name).write_bytes(_encode(text, damage))
        args = ["--no-cache", "--output-format", "json"]
        if form == "standalone":
            args += ["--config", name]
        result = _invoke(args + ["."], root)
        assert result.exit_code in (0, 1, 2), (text, result.output)
        event(f"exit {result.exit_code}")
        if result.exit_code == 2:
            errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
            assert len(errors) == 1, (text, result.stderr)
            assert name in errors[0] or "rule pack" in errors[0], (text, result.stderr)  # the file at fault
            assert result.stdout.strip() == "", text
        else:
            json.loads(result.stdout)
        assert _raw_controls(result.stderr) == [], (text, result.stderr)


# -- file names: every byte a Linux file system takes --------------------------------------------

def _ok_name(raw: bytes) -> bool:
    return b"/" not in raw and b"\x00" not in raw and raw not in (b".", b"..") and len(raw) <= 240


name_bytes = st.one_of(
    st.binary(min_size=1, max_size=24),
    st.text(min_size=1, max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from([b"\n", b"\r", b"\x1b]0;t\x07", b"\x1b[2J", b"::error file=x::y", b"\xff", b"\xc3",
                              b"\xe2\x80\xae", b"\x85", b"\t", b"%", b",", b":", b" "]),
             min_size=1, max_size=6).map(b"".join),
).filter(_ok_name)

FORMATS = ("full", "concise", "json", "sarif", "github")


@_settings(10)
@given(names=st.lists(name_bytes, min_size=1, max_size=3, unique=True), dangling=name_bytes)
def test_hostile_file_names_reach_every_report_escaped(names, dangling):
    assume(dangling + b".link" not in names)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        expected = set()
        for raw in names:
            path = os.fsdecode(raw + b".py")
            (root / path).write_text(SERVER, encoding="utf-8")
            expected.add(path)
        os.symlink("missing", root / os.fsdecode(dangling + b".link.py"))
        for fmt in FORMATS:
            out = root.parent / f"{root.name}.{fmt}"
            result = _invoke(["--no-cache", "--output-format", fmt, "-o", str(out), "."], root)
            assert result.exit_code == 1, (names, fmt, result.stderr)
            text = out.read_bytes().decode("utf-8")
            out.unlink()
            assert _raw_controls(text) == [], (names, fmt, text)
            assert _raw_controls(result.stderr) == [], (names, fmt, result.stderr)
            if fmt == "json":
                doc = json.loads(text)
                assert {f["path"] for f in doc["findings"]} == expected
            elif fmt == "sarif":
                json.loads(text)
        shown = _invoke(["--no-cache", "."], root)  # a terminal's view: stdout itself
        assert shown.exit_code == 1
        assert _raw_controls(shown.stdout) == [] and _raw_controls(shown.stderr) == [], names
