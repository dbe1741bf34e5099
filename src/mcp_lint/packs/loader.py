"""Rule packs: YAML files -> validated, immutable `Pack` and `Rule` models.

Packs are files people copy from one another, so a pack is read as input from a stranger:
only a regular file under `MAX_PACK_BYTES` (checked before reading), parsed by `packs/yaml.py`
within its limits, and validated strictly. An unknown key, a missing field, a wrong type, an
unknown primitive, a parameter the primitive does not take, a message that is not a template of
the fields the primitive supplies, a regular expression that does not compile or can backtrack
without bound (`model/regex.py`), or an example file name that is not a plain relative path is a
problem with `file:line`; every problem of a pack is collected (`PackErrors`), and the CLI turns
them into exit code 2.
"""

from __future__ import annotations

import os
import re
import stat
import string
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mcp_lint.model.findings import Applicability, Confidence, Severity
from mcp_lint.model.rules import RULE_ID, RULE_NAME, Docs, Example, Pack, Rule
from mcp_lint.model.errors import PackError
from mcp_lint.model.schema import (Bool, Field, Int, Key, List, Map, Number, SchemaError, Str, Where, all_errors,
                                   raise_all)

# A rule pack is read whole into memory and parsed: only regular files, and at most this many
# bytes, checked before anything is read (the built-in packs are under 100 KB each).
MAX_PACK_BYTES = 4 * 1024 * 1024
# The problems listed for one pack (the rest are counted).
MAX_PROBLEMS = 100

# -- example file names ------------------------------------------------------------------------------
# `test-rules` writes an example's files into a fresh temporary directory: their names are
# relative paths inside it, normalised, and of ordinary characters.
MAX_EXAMPLE_FILES = 50
_NAME_PART = re.compile(r"[\w.-]{1,100}")
MAX_NAME_LENGTH = 200
MAX_NAME_DEPTH = 8


def example_path_problem(name: str) -> str | None:
    """Why `name` cannot be an example's file name (None: it can). Shared with the runner,
    which checks again before writing."""
    if not isinstance(name, str) or not name:
        return "an example's file name must be a non-empty string"
    shown = repr(name) if not name.isprintable() else f"'{name}'"
    inside = "an example's file name is a relative path inside the example's directory"
    if len(name) > MAX_NAME_LENGTH:
        return f"{shown[:60]}...: longer than {MAX_NAME_LENGTH} characters"
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return f"{shown}: an absolute path ({inside})"
    if "\\" in name:
        return f"{shown}: separate folders with '/' ({inside})"
    parts = name.split("/")
    if any(p in (".", "..") for p in parts):
        return f"{shown}: no '.' or '..' ({inside})"
    if any(not p for p in parts):
        return f"{shown}: an empty path component, '//' or a trailing '/' ({inside})"
    if len(parts) > MAX_NAME_DEPTH:
        return f"{shown}: more than {MAX_NAME_DEPTH} folders deep"
    bad = next((p for p in parts if not _NAME_PART.fullmatch(p)), None)
    if bad is not None:
        return f"{shown}: use letters, digits, '_', '-' and '.' in file names"
    return None


class _ExampleName(Str):
    def __init__(self, suffix: str = "") -> None:
        super().__init__()
        self.suffix = suffix

    def validate(self, value: Any, where: Where) -> str:
        value = super().validate(value, where)
        problem = example_path_problem(value)
        if problem is not None:
            raise where.error(problem)
        if self.suffix and not value.endswith(self.suffix):
            raise where.error(f"'{value}': an example's Python file name ends in {self.suffix}")
        return value


class _ExampleFiles(Field):
    """`files:` of an example: relative path -> text."""

    def validate(self, value: Any, where: Where) -> dict:
        inner = Map({}, extra=Str(nonempty=False))
        out = inner.validate(value, where)
        key_lines = getattr(value, "key_lines", {})
        errors: list[SchemaError] = []
        for name in out:
            problem = example_path_problem(name) if isinstance(name, str) else "a file name must be a string"
            if problem is not None:
                errors.append(where.key(str(name), key_lines.get(name)).error(problem))
        if len(out) > MAX_EXAMPLE_FILES:
            errors.append(where.error(f"more than {MAX_EXAMPLE_FILES} files"))
        raise_all(errors)
        return out


def _check_example(example: dict, where: Where) -> None:
    filename = example.get("filename")
    files = example.get("files") or {}
    errors: list[SchemaError] = []
    names = [filename, *files]
    if filename in files:
        errors.append(where.key("files", None).error(f"'{filename}' is the example's own file (its `filename`)"))
    folders = {"/".join(n.split("/")[:i]) for n in names for i in range(1, n.count("/") + 1)}
    for name in names:
        if name in folders:
            errors.append(where.key("files", None).error(f"'{name}' is both a file and a folder of the example"))
    target = example.get("lines-in")
    if target and target != filename and target not in files:
        errors.append(where.key("lines-in", None).error(
            f"'{target}' is neither the example's filename nor one of its files"))
    raise_all(errors)


_FILES = _ExampleFiles()
_EXAMPLE_INVALID = Map({
    "code": Key(Str(), required=True),
    "lines": Key(List(Int(minimum=1, maximum=1_000_000), min_items=1, single_ok=True), required=True),
    "filename": Key(_ExampleName(".py"), default="example.py"),
    "note": Key(Str(), default=""),
    "files": Key(_FILES, default={}),
    "lines-in": Key(_ExampleName(), default=""),
    "fixed": Key(Str(nonempty=False), default=None),  # the code once the rule's fixes are applied
}, check=_check_example)
_EXAMPLE_VALID = Map({
    "code": Key(Str(), required=True),
    "filename": Key(_ExampleName(".py"), default="example.py"),
    "note": Key(Str(), default=""),
    "files": Key(_FILES, default={}),
}, check=_check_example)
_DOCS = Map({
    "what": Key(Str(), required=True),
    "why": Key(Str(), required=True),
    "use-instead": Key(Str(), default=""),
    "fix-safety": Key(Str(), default=""),  # why the fix is safe or unsafe (rules with `fix:`)
    "references": Key(List(Str()), default=()),
})
class _PassThrough(Field):
    """Keeps a value (with its line info) for a second validation step."""

    def validate(self, value: Any, where: Where) -> Any:
        return value


_RULE = Map({
    "id": Key(Str(pattern=RULE_ID), required=True),
    "name": Key(Str(pattern=RULE_NAME), required=True),
    "message": Key(Str(), required=True),
    "severity": Key(Str(choices=tuple(s.value for s in Severity)), required=True),
    "confidence": Key(Str(choices=tuple(c.value for c in Confidence)), required=True),
    "tags": Key(List(Str(pattern=r"[a-z0-9][a-z0-9.-]*")), required=True),
    "enabled": Key(Bool(), default=True),
    "security-severity": Key(Number(0.0, 10.0), default=None),
    "fix": Key(Str(choices=("none", "safe", "unsafe")), default="none"),
    "docs": Key(_DOCS, required=True),
    "check": Key(_PassThrough(), required=True),
    "examples": Key(Map({
        "invalid": Key(List(_EXAMPLE_INVALID, min_items=1), required=True),
        "valid": Key(List(_EXAMPLE_VALID, min_items=1), required=True),
    }), required=True),
})
def _rules_or_knowledge(pack: dict, where: Where) -> None:
    if not pack.get("rules") and pack.get("knowledge") is None:
        raise where.error("missing required key 'rules' (a pack holds rules, a `knowledge:` section, or both)")


_PACK = Map({
    "pack": Key(Str(pattern=RULE_NAME), required=True),
    "description": Key(Str(), required=True),
    "rules": Key(List(_PassThrough(), min_items=1), default=()),  # each rule: `_RULE`, one by one
    # libraries the pack describes (packs/knowledge.py validates them)
    "knowledge": Key(_PassThrough()),
}, check=_rules_or_knowledge)


class PackErrors(PackError):
    """Every problem of one pack. Shown as one line (the first problem, and how many more)
    where one line is wanted; `problems` lists them all for `validate-pack`."""

    def __init__(self, problems: list[PackError]) -> None:
        first = problems[0]
        more = len(problems) - 1
        tail = f" (and {more} more problem{'s' if more != 1 else ''}: `mcp-lint validate-pack` lists them)"
        super().__init__(first.path, first.line, first.message + (tail if more else ""))
        self.problems = problems


def read_pack_bytes(path: Path | str) -> bytes:
    """A pack's bytes: a regular file of at most `MAX_PACK_BYTES`, checked before reading (a
    FIFO, a device such as /dev/zero or a huge file is refused without reading it)."""
    shown = str(path)
    try:
        st = os.stat(path)
        _check_file(st, shown)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)  # non-blocking: a FIFO swapped in after the check cannot block the open
        try:
            _check_file(os.fstat(fd), shown)  # what was opened, not what was checked
            chunks, size = [], 0
            while size <= MAX_PACK_BYTES:
                chunk = os.read(fd, min(1 << 20, MAX_PACK_BYTES + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
    except OSError as exc:
        raise PackError(shown, None, f"cannot read rule pack: {exc.strerror or exc}") from None
    if size > MAX_PACK_BYTES:
        raise _too_large(shown)
    return b"".join(chunks)


def _check_file(st: os.stat_result, shown: str) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise PackError(shown, None, f"cannot read rule pack: {kind}, not a regular file")
    if st.st_size > MAX_PACK_BYTES:
        raise _too_large(shown, st.st_size)


def _too_large(shown: str, size: int | None = None) -> PackError:
    """`size`: the file's size, when its metadata says it (None: it grew while being read)."""
    what = f"{size:,} bytes" if size is not None else "more"
    return PackError(shown, None, f"rule pack too large: {what}, the limit is {MAX_PACK_BYTES:,} bytes "
                                  f"({MAX_PACK_BYTES // (1024 * 1024)} MiB)")


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PackError(shown, line, f"cannot read rule pack: not valid UTF-8: byte "
                                     f"0x{data[exc.start:exc.start + 1].hex()} at line {line}") from None


def _read_yaml(path: Path | str, data: bytes | None, what: str) -> Any:
    """The YAML document of a pack or knowledge file (read unless `data` holds its bytes),
    bounded in size and checked as UTF-8; a PackError otherwise."""
    from mcp_lint.packs import yaml as yamlload  # here: a pack served from the compiled-pack cache needs no YAML

    shown = str(path)
    if data is None:
        data = read_pack_bytes(path)
    elif len(data) > MAX_PACK_BYTES:
        raise _too_large(shown, len(data))
    text = _decode(data, shown)
    try:
        raw = yamlload.load(text)
    except yamlload.YamlError as exc:
        raise PackError(shown, exc.line, str(exc)) from None
    if raw is None:
        raise PackError(shown, None, f"{what} is empty")
    return raw


def load_pack(path: Path | str, data: bytes | None = None) -> Pack:
    """Read (unless `data` holds the pack's bytes) and validate a rule pack. Every problem is
    collected: a `PackErrors` lists them all, in document order."""
    shown = str(path)
    raw = _read_yaml(path, data, "the rule pack")
    errors: list[SchemaError] = []
    head: dict = {}
    try:
        head = _PACK.validate(raw, Where(line=getattr(raw, "line", None)))
    except SchemaError as exc:
        errors += all_errors(exc)
    rules: list[Rule] = []
    raw_rules = raw.get("rules") if isinstance(raw, dict) else None
    if isinstance(raw_rules, list):
        item_lines = getattr(raw_rules, "item_lines", [])
        pack_name = head.get("pack") or ""
        for i, raw_rule in enumerate(raw_rules):
            try:
                rules.append(_build_rule(raw_rule, pack_name, shown, i, item_lines[i] if i < len(item_lines) else None))
            except SchemaError as exc:
                errors += all_errors(exc)
    knowledge = None
    raw_knowledge = raw.get("knowledge") if isinstance(raw, dict) else None
    if raw_knowledge is not None:
        from mcp_lint.packs.knowledge import knowledge_from

        try:
            knowledge = knowledge_from(raw_knowledge, Where("knowledge", getattr(raw, "key_lines", {}).get(
                "knowledge")), shown)
        except SchemaError as exc:
            errors += all_errors(exc)
    seen: set[str] = set()
    for rule in rules:
        for key in (rule.id, rule.name):
            if key in seen:
                errors.append(SchemaError("", f"'{key}' is defined twice in this pack", rule.source_line))
            seen.add(key)
    if errors:
        raise pack_errors(shown, errors)
    return Pack(name=head["pack"], description=head["description"], path=shown, rules=tuple(rules),
                knowledge=knowledge)


def load_knowledge(path: Path | str, data: bytes | None = None) -> Any:
    """Read (unless `data` holds its bytes) and validate a knowledge file (packs/knowledge.py);
    a PackError listing every problem otherwise."""
    from mcp_lint.packs.knowledge import knowledge_document

    shown = str(path)
    raw = _read_yaml(path, data, "the knowledge file")
    try:
        return knowledge_document(raw, shown)
    except SchemaError as exc:
        raise pack_errors(shown, all_errors(exc)) from None


def pack_errors(shown: str, errors: list[SchemaError]) -> PackError:
    ordered = sorted(errors, key=lambda e: e.line or 0)
    problems = [PackError(shown, e.line, str(e)) for e in ordered[:MAX_PROBLEMS]]
    if len(ordered) > MAX_PROBLEMS:
        problems.append(PackError(shown, None, f"{len(ordered) - MAX_PROBLEMS} more problems not shown"))
    return problems[0] if len(problems) == 1 else PackErrors(problems)


def _build_rule(raw: Any, pack: str, path: str, index: int, line: int | None) -> Rule:
    where = Where(f"rules[{index}]", line)
    if not isinstance(raw, dict):
        raise where.error(f"expected a mapping (a rule), got {type(raw).__name__}")
    key_lines = getattr(raw, "key_lines", {})
    errors: list[SchemaError] = []
    r: dict = {}
    try:
        r = _RULE.validate(raw, where)
    except SchemaError as exc:
        errors += all_errors(exc)
    primitive = params = None
    if "check" in raw:
        try:
            primitive, params = _check_params(raw["check"], where.key("check", key_lines.get("check")))
        except SchemaError as exc:
            errors += all_errors(exc)
    if isinstance(raw.get("message"), str):
        errors += message_problems(raw["message"], primitive, where.key("message", key_lines.get("message")))
    if primitive is not None and raw.get("fix") in ("safe", "unsafe") and not primitive.FIXABLE:
        errors.append(where.key("fix", key_lines.get("fix")).error(f"primitive '{primitive.NAME}' offers no fix"))
    raise_all(errors)
    assert primitive is not None and params is not None
    fix = None if r["fix"] == "none" else Applicability(r["fix"])
    if fix is None and any(e["fixed"] is not None for e in r["examples"]["invalid"]):
        raise where.key("fix", key_lines.get("fix")).error("an example gives `fixed:` code but the rule has no `fix:`")
    ex = r["examples"]
    raw_ex = raw["examples"]
    invalid = tuple(Example(code=e["code"], lines=tuple(e["lines"]), filename=e["filename"], note=e["note"],
                            source_line=_item_line(raw_ex["invalid"], i), files=MappingProxyType(dict(e["files"])),
                            lines_in=e["lines-in"], fixed=e["fixed"])
                    for i, e in enumerate(ex["invalid"]))
    valid = tuple(Example(code=e["code"], filename=e["filename"], note=e["note"],
                          source_line=_item_line(raw_ex["valid"], i), files=MappingProxyType(dict(e["files"])))
                  for i, e in enumerate(ex["valid"]))
    docs = r["docs"]
    return Rule(
        id=r["id"], name=r["name"], pack=pack, message=r["message"],
        severity=Severity(r["severity"]), confidence=Confidence(r["confidence"]), tags=r["tags"],
        docs=Docs(what=docs["what"].strip(), why=docs["why"].strip(),
                  use_instead=docs["use-instead"].strip(), references=docs["references"],
                  fix_safety=docs["fix-safety"].strip()),
        primitive=primitive.NAME, params=MappingProxyType(params), invalid=invalid, valid=valid,
        fix=fix, enabled=r["enabled"], source=path, source_line=line or 0,
        security_severity=r["security-severity"],
    )


def _check_params(check_raw: Any, check_where: Where) -> tuple[Any, dict]:
    """The primitive a rule's `check:` names, and its validated parameters."""
    from mcp_lint.packs import yaml as yamlload
    from mcp_lint.check.primitives import PRIMITIVES  # local import: primitives import engine types

    if not isinstance(check_raw, dict):
        raise check_where.error("expected a mapping with a 'primitive' key")
    primitive_name = check_raw.get("primitive")
    prim_where = check_where.key("primitive", getattr(check_raw, "key_lines", {}).get("primitive"))
    if not isinstance(primitive_name, str):
        raise check_where.error("missing required key 'primitive'")
    primitive = PRIMITIVES.get(primitive_name)
    if primitive is None:
        known = ", ".join(sorted(PRIMITIVES))
        raise prim_where.error(f"unknown primitive '{primitive_name}' (known: {known})")
    params_raw = yamlload.LMap({k: v for k, v in check_raw.items() if k != "primitive"})
    params_raw.line = getattr(check_raw, "line", check_where.line)
    params_raw.key_lines = getattr(check_raw, "key_lines", {})
    return primitive, primitive.PARAMS.validate(params_raw, check_where)


def _item_line(seq: Any, i: int) -> int:
    lines = getattr(seq, "item_lines", [])
    return lines[i] if i < len(lines) else 0


_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def message_problems(message: str, primitive: Any, where: Where) -> list[SchemaError]:
    """A message is a template of named fields only (`{source}`): no position, attribute or
    index access, format spec or conversion (`{0}`, `{source.x}`, `{source[0]}`, `{source:>9}`,
    `{source!r}`), and only the fields its primitive supplies (None: not known yet)."""
    try:
        parts = list(string.Formatter().parse(message))
    except ValueError as exc:
        return [where.error(f"bad message template: {exc} (write a literal brace as {{{{ or }}}})")]
    errors = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not _FIELD_NAME.fullmatch(name):
            errors.append(where.error(f"placeholder '{{{name}}}': a message names its fields only, as "
                                      f"{{source}} (no positions, attributes or indexes)"))
        elif spec or conversion:
            errors.append(where.error(f"placeholder '{{{name}{'!' + conversion if conversion else ''}"
                                      f"{':' + spec if spec else ''}}}': no format spec or conversion in a "
                                      f"message, only {{{name}}}"))
        elif primitive is not None and name not in primitive.PLACEHOLDERS:
            known = ", ".join(sorted(primitive.PLACEHOLDERS)) or "none"
            errors.append(where.error(f"placeholder '{{{name}}}' is not supplied by primitive "
                                      f"'{primitive.NAME}' (it supplies: {known})"))
    return errors
