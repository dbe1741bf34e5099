"""Settings: `[tool.mcp-lint]` in the nearest pyproject.toml, overridden by CLI flags.

    [tool.mcp-lint]
    select = ["MCP1", "MCP4"]          # replaces the default set
    extend-select = ["MCP900"]         # adds to it
    ignore = ["MCP402"]
    exclude = ["generated/"]           # replaces the default excludes
    extend-exclude = ["legacy/*.py"]
    rule-packs = ["lint/our-rules.yaml"]
    respect-gitignore = true
    cache-dir = ".mcp_lint_cache"      # where findings are cached (default: beside this file)
    max-file-size = "4 MiB"            # larger files are skipped with a message (or bytes: 4194304), <= 1 GiB
    file-timeout = 30                  # seconds per file, <= one day; a file over it is an MCP001 finding
    fix-timeout = 30                   # the timeout (seconds) the MCP401 fix adds

    [tool.mcp-lint.per-file-ignores]
    "tests/*" = ["MCP201"]

    [tool.mcp-lint.severity]
    MCP201 = "error"

An unknown key or a bad value is a `ConfigError` naming the file, the line and the key: a wrong
type or shape, a number out of range, a pattern that cannot match, a path holding NUL, and
anything `source.toml` refuses (invalid TOML, nesting past 100 levels, a number too long to
read). The table is found in any TOML spelling, behind a BOM too, never silently skipped.
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from mcp_lint.model.findings import Confidence, Severity
from mcp_lint.model.errors import ConfigError, UsageError
from mcp_lint.model.settings import DEFAULT_EXCLUDES, DEFAULT_FILE_TIMEOUT, DEFAULT_FIX_TIMEOUT, DEFAULT_MAX_FILE_SIZE, Settings
from mcp_lint.model.schema import Bool, Field, Key, List, Map, SchemaError, Str, Where, _type_name
from mcp_lint.source import toml
from mcp_lint.source.globs import GlobError, check_pattern
from mcp_lint.source.read import read_utf8

SECTION = "tool.mcp-lint"
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000 ** 2, "mb": 1000 ** 2, "mib": 1024 ** 2,
          "g": 1000 ** 3, "gb": 1000 ** 3, "gib": 1024 ** 3}
# The largest values the settings take. A file is read in one piece of up to max-file-size
# bytes, and libcst needs minutes per megabyte of deeply nested code: 1 GiB is far past any
# useful setting, still a size a read can ask for. A day bounds the time any file may take.
MAX_FILE_SIZE_LIMIT = 1024 ** 3
MAX_FILE_TIMEOUT = 24 * 60 * 60.0


class _Size(Field):
    """A byte count from 1 byte to 1 GiB: an integer, or a string with a unit ("512 KiB",
    "4 MiB", "2MB"). Computed exactly (no float), so no spelling of a huge number overflows."""

    def validate(self, value: Any, where: Where) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            size: Decimal | int = value
        elif isinstance(value, str):
            m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", value)
            if m is None or m.group(2).lower() not in _UNITS:
                raise where.error(f"'{_clip(value)}' is not a size (an integer number of bytes, or e.g. \"4 MiB\")")
            size = Decimal(m.group(1)) * _UNITS[m.group(2).lower()]
        else:
            raise where.error(f"expected a size (bytes, or e.g. \"4 MiB\"), got {_type_name(value)}")
        if not 1 <= size <= MAX_FILE_SIZE_LIMIT:
            raise where.error(f"{_clip(str(value))} is out of range: a size from 1 byte to 1 GiB "
                              f"({MAX_FILE_SIZE_LIMIT} bytes)")
        return int(size)


class _Seconds(Field):
    """A number of seconds in (0, one day]: not 0, negative, inf or nan."""

    def validate(self, value: Any, where: Where) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise where.error(f"expected a number of seconds, got {_type_name(value)}")
        if not 0 < value <= MAX_FILE_TIMEOUT:  # False for nan too
            raise where.error(f"{_clip(str(value))} is out of range: more than 0 and at most "
                              f"{MAX_FILE_TIMEOUT:g} seconds (one day)")
        return float(value)


class _PathText(Str):
    """A file or directory name: no NUL character (no file system takes one)."""

    def validate(self, value: Any, where: Where) -> str:
        value = super().validate(value, where)
        if "\x00" in value:
            raise where.error("a path cannot contain a NUL character")
        return value


class _Glob(Str):
    """A pattern in .gitignore syntax that can match something."""

    def validate(self, value: Any, where: Where) -> str:
        value = super().validate(value, where)
        try:
            check_pattern(value)
        except GlobError as exc:
            raise where.error(f"'{_clip(value)}' is not a valid pattern: {exc}") from None
        return value


def _clip(text: str, limit: int = 60) -> str:
    """A value quoted in a message, cut short (a 5,000-digit number need not be shown)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


_CODES = List(Str(), single_ok=False)
_SCHEMA = Map({
    "select": Key(_CODES),
    "extend-select": Key(_CODES, default=()),
    "ignore": Key(_CODES, default=()),
    "per-file-ignores": Key(Map({}, extra=_CODES), default={}),  # keys: see _check_globs
    "exclude": Key(List(_Glob())),
    "extend-exclude": Key(List(_Glob()), default=()),
    "rule-packs": Key(List(_PathText()), default=()),
    "severity": Key(Map({}, extra=Str(choices=tuple(s.value for s in Severity))), default={}),
    "respect-gitignore": Key(Bool(), default=True),
    "cache-dir": Key(_PathText()),
    "max-file-size": Key(_Size(), default=DEFAULT_MAX_FILE_SIZE),
    "file-timeout": Key(_Seconds(), default=DEFAULT_FILE_TIMEOUT),
    "fix-timeout": Key(_Seconds(), default=DEFAULT_FIX_TIMEOUT),
    "fail-on": Key(Str(choices=tuple(s.value for s in Severity))),
    "min-confidence": Key(Str(choices=tuple(c.value for c in Confidence))),
})


# A line that defines [tool.mcp-lint] in a document that may not parse: a table header
# (`[tool.mcp-lint]`, `[tool.mcp-lint.severity]`, the `[[tool.mcp-lint]]` of an array of
# tables) or a dotted key (`tool.mcp-lint.select = ...`).
_NAME = r'(?:"mcp-lint"|\'mcp-lint\'|mcp-lint)'
_SECTION_RE = re.compile(rf"^[ \t]*(?:\[\[?[ \t]*tool[ \t]*\.[ \t]*{_NAME}[ \t]*[\].]|tool[ \t]*\.[ \t]*{_NAME}[ \t]*[=.])",
                         re.MULTILINE)
_HEADER_RE = re.compile(r"^[ \t]*\[\[?([^\]]*)\]")


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.mcp-lint] table, from `start` upwards.

    A document that parses is asked whether it has the table (in any TOML spelling); one that
    does not parse is chosen when its text looks like it defines the table, so the error is
    reported rather than the configuration silently skipped."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:  # undecodable bytes are reported when the table is read
                text = candidate.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
            except OSError:
                continue
            if "mcp-lint" in text and _defines_section(text):
                return candidate
    return None


@functools.lru_cache(maxsize=64)  # asked again for every folder of files below the same pyproject.toml
def _defines_section(text: str) -> bool:
    try:
        doc = toml.loads(text)
    except toml.TomlError:
        return _SECTION_RE.search(text) is not None
    tool = doc.get("tool")
    return isinstance(tool, dict) and "mcp-lint" in tool


def _section_line(text: str) -> int | None:
    """The first line that defines [tool.mcp-lint]: one of `_SECTION_RE`, or `mcp-lint = ...`
    inside `[tool]`."""
    table = None
    for number, line in enumerate(text.splitlines(), 1):
        if _SECTION_RE.match(line):
            return number
        header = _HEADER_RE.match(line)
        if header:
            table = re.sub(r"[ \t\"']", "", header.group(1))
        elif table == "tool" and re.match(rf"[ \t]*{_NAME}[ \t]*[=.]", line):
            return number
    return None


def load_settings(config_file: Path | None, root: Path, **overrides: Any) -> Settings:
    raw: dict[str, Any] = {}
    if config_file is not None:
        raw = _read_section(config_file)
        root = config_file.resolve().parent
    try:
        data = _SCHEMA.validate(raw, Where(SECTION))
    except SchemaError as exc:
        shown = str(config_file)
        raise ConfigError(shown, _line_of(config_file, exc.where), str(exc)) from None
    _check_globs(config_file, data)
    severity = {k.upper(): Severity(v) for k, v in data["severity"].items()}
    settings = Settings(
        root=root.resolve(),
        config_file=config_file,
        select=data["select"],
        extend_select=data["extend-select"],
        ignore=data["ignore"],
        per_file_ignores=tuple((k, tuple(v)) for k, v in data["per-file-ignores"].items()),
        exclude=data["exclude"] if data["exclude"] is not None else DEFAULT_EXCLUDES,
        extend_exclude=data["extend-exclude"],
        rule_packs=tuple((root / p).resolve() for p in data["rule-packs"]),
        severity=severity,
        respect_gitignore=data["respect-gitignore"],
        cache_dir=(root / data["cache-dir"]).resolve() if data["cache-dir"] is not None else None,
        max_file_size=data["max-file-size"],
        file_timeout=data["file-timeout"],
        fix_timeout=data["fix-timeout"],
        fail_on=data["fail-on"],
        min_confidence=data["min-confidence"],
    )
    return _apply_overrides(settings, overrides)


def _apply_overrides(settings: Settings, o: dict[str, Any]) -> Settings:
    from dataclasses import replace
    changes: dict[str, Any] = {}
    if o.get("select") is not None:
        changes["cli_select"] = tuple(o["select"])
    if o.get("extend_select"):
        changes["cli_extend_select"] = tuple(o["extend_select"])
    if o.get("ignore"):
        changes["cli_ignore"] = tuple(o["ignore"])
    if o.get("rule_packs"):
        changes["rule_packs"] = settings.rule_packs + tuple(Path(p).resolve() for p in o["rule_packs"])
    if o.get("force_exclude"):
        changes["force_exclude"] = True
    if o.get("min_confidence"):
        changes["min_confidence"] = o["min_confidence"]
    if o.get("extend_exclude"):
        for pattern in o["extend_exclude"]:
            try:
                check_pattern(pattern)
            except GlobError as exc:
                raise UsageError(f"--extend-exclude: '{_clip(pattern)}' is not a valid pattern: {exc}") from None
        changes["extend_exclude"] = settings.extend_exclude + tuple(o["extend_exclude"])
    return replace(settings, **changes) if changes else settings


def _read_section(path: Path) -> dict[str, Any]:
    try:
        text = read_utf8(path)  # a BOM is dropped, as Python's and TOML tools' readers do
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot read configuration: {exc.strerror or exc}") from None
    except SchemaError as exc:
        raise ConfigError(str(path), exc.line, f"cannot read configuration: {exc.detail}") from None
    try:
        doc = toml.loads(text)
    except toml.TomlError as exc:
        raise ConfigError(str(path), exc.line, exc.message) from None
    if path.name == "pyproject.toml" or "tool" in doc:
        tool = doc.get("tool", {})
        if not isinstance(tool, dict):
            m = re.search(r"^[ \t]*tool[ \t]*=", text, re.MULTILINE)
            line = text.count("\n", 0, m.start()) + 1 if m else None
            raise ConfigError(str(path), line, f"`tool` must be a table, got {_type_name(tool)}")
        section = tool.get("mcp-lint", {})
    else:
        section = doc  # a standalone mcp-lint.toml holds the keys at top level
    if not isinstance(section, dict):
        kind = "an array of tables ([[tool.mcp-lint]])" if isinstance(section, list) else _type_name(section)
        raise ConfigError(str(path), _section_line(text), f"[{SECTION}] must be a table, got {kind}")
    return section


def _check_globs(path: Path | None, data: dict[str, Any]) -> None:
    """per-file-ignores keys are patterns too (their values are checked by the schema)."""
    for pattern in data["per-file-ignores"]:
        try:
            check_pattern(pattern)
        except GlobError as exc:
            line = (locate(path, "per-file-ignores", sub=pattern)  # as written, or with TOML escapes
                    or locate(path, "per-file-ignores", sub=json.dumps(pattern)[1:-1])
                    or locate(path, "per-file-ignores"))
            raise ConfigError(str(path), line,
                              f"{SECTION}.per-file-ignores: '{_clip(pattern)}' is not a valid pattern: {exc}") from None


def _segments(where: str) -> list[str]:
    """`tool.mcp-lint.per-file-ignores.tests/*.py[0]` -> ["per-file-ignores", "tests/*.py"].
    Keys are matched against the schema, so dots inside a glob key stay in one segment."""
    rest = where[len(SECTION) + 1:] if where.startswith(SECTION + ".") else where
    for key in sorted(_SCHEMA.keys, key=len, reverse=True):
        if rest == key or rest.startswith((key + ".", key + "[")):
            sub = re.sub(r"\[\d+\]$", "", rest[len(key) + 1:]) if rest[len(key):len(key) + 1] == "." else ""
            return [key, sub] if sub else [key]
    return [re.sub(r"\[\d+\]$", "", rest)]


def _line_of(path: Path | None, where: str) -> int | None:
    return locate(path, *_segments(where))


def locate(path: Path | None, key: str, sub: str | None = None, value: str | None = None) -> int | None:
    """The line of `key` (or `key.sub`, or of `value` inside `key`) in the [tool.mcp-lint]
    part of a TOML file. Best effort: None when it cannot be found."""
    if path is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    standalone = path.name != "pyproject.toml"
    section = "" if standalone else None  # the table we are in, relative to [tool.mcp-lint]
    key_re = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
    sub_re = re.compile(rf'^\s*"?{re.escape(sub)}"?\s*=') if sub else None
    in_key = False
    for i, line in enumerate(lines, 1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]\s*(#.*)?$", stripped)
        if header:
            name = header.group(1).replace('"', "").replace(" ", "")
            prefix = "tool.mcp-lint"
            if standalone:
                section = name
            elif name == prefix:
                section = ""
            elif name.startswith(prefix + "."):
                section = name[len(prefix) + 1:]
            else:
                section = None
            in_key = False
            if section == key and sub is None and value is None:
                return i
            continue
        if section is None:
            continue
        if section == "" and key_re.match(line):
            if sub is None and value is None:
                return i
            in_key = True
            if value is not None and f'"{value}"' in line or sub and sub in line:
                return i
            continue
        if section == key and sub_re is not None and sub_re.match(line):
            return i
        if section == key and value is not None and (f'"{value}"' in line or key_re.match(line)):
            return i
        if in_key:
            if value is not None and (f'"{value}"' in line or f"'{value}'" in line):
                return i
            if re.match(r"^\s*[\w\"-]+\s*=", line):
                in_key = False
    return None
