"""Rule packs: YAML files -> validated, immutable `Pack` and `Rule` models.

Validation is strict. An unknown key, a missing field, a wrong type, an unknown primitive,
a parameter the primitive does not take, or a message placeholder it does not supply is a
`PackError` carrying `file:line`, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mcp_lint.model.findings import Applicability, Confidence, Severity
from mcp_lint.model.rules import RULE_ID, RULE_NAME, Docs, Example, Pack, Rule
from mcp_lint.model.errors import PackError
from mcp_lint.model.schema import Bool, Int, Key, List, Map, Number, SchemaError, Str, Where
from mcp_lint.source.read import read_utf8

def _check_files(files: dict, where: Where) -> None:
    for name in files:
        if name.startswith("/") or ".." in name.split("/") or not re.fullmatch(r"[\w./-]+", name):
            raise where.error(f"'{name}': a relative path inside the example's directory")


def _check_lines_in(example: dict, where: Where) -> None:
    target = example.get("lines-in")
    if target and target != example.get("filename") and target not in (example.get("files") or {}):
        raise where.error(f"lines-in: '{target}' is neither the example's filename nor one of its files")


_FILES = Map({}, extra=Str(nonempty=False), check=_check_files)
_EXAMPLE_INVALID = Map({
    "code": Key(Str(), required=True),
    "lines": Key(List(Int(minimum=1), min_items=1, single_ok=True), required=True),
    "filename": Key(Str(pattern=r"[\w./-]+\.py"), default="example.py"),
    "note": Key(Str(), default=""),
    "files": Key(_FILES, default={}),
    "lines-in": Key(Str(pattern=r"[\w./-]+"), default=""),
    "fixed": Key(Str(nonempty=False), default=None),  # the code once the rule's fixes are applied
}, check=_check_lines_in)
_EXAMPLE_VALID = Map({
    "code": Key(Str(), required=True),
    "filename": Key(Str(pattern=r"[\w./-]+\.py"), default="example.py"),
    "note": Key(Str(), default=""),
    "files": Key(_FILES, default={}),
})
_DOCS = Map({
    "what": Key(Str(), required=True),
    "why": Key(Str(), required=True),
    "use-instead": Key(Str(), default=""),
    "fix-safety": Key(Str(), default=""),  # why the fix is safe or unsafe (rules with `fix:`)
    "references": Key(List(Str()), default=()),
})
class _PassThrough:
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
    "check": Key(_PassThrough(), required=True),  # type: ignore[arg-type]
    "examples": Key(Map({
        "invalid": Key(List(_EXAMPLE_INVALID, min_items=1), required=True),
        "valid": Key(List(_EXAMPLE_VALID, min_items=1), required=True),
    }), required=True),
})
_PACK = Map({
    "pack": Key(Str(pattern=RULE_NAME), required=True),
    "description": Key(Str(), required=True),
    "rules": Key(List(_RULE, min_items=1), required=True),
})


def load_pack(path: Path | str) -> Pack:
    path = Path(path)
    shown = str(path)
    try:
        text = read_utf8(path)
    except OSError as exc:
        raise PackError(shown, None, f"cannot read rule pack: {exc.strerror or exc}") from None
    except SchemaError as exc:
        raise PackError(shown, exc.line, f"cannot read rule pack: {exc.detail}") from None
    from mcp_lint.packs import yaml as yamlload  # here: a pack served from the compiled-pack cache needs no YAML

    try:
        raw = yamlload.load(text)
    except yamlload.YamlError as exc:
        raise PackError(shown, exc.line, str(exc)) from None
    if raw is None:
        raise PackError(shown, None, "the rule pack is empty")
    try:
        data = _PACK.validate(raw, Where(line=getattr(raw, "line", None)))
        rules = tuple(_build_rule(r, raw_r, data["pack"], shown, i)
                      for i, (r, raw_r) in enumerate(zip(data["rules"], raw["rules"])))
    except SchemaError as exc:
        raise PackError(shown, exc.line, str(exc)) from None
    seen: dict[str, int] = {}
    for rule in rules:
        for key in (rule.id, rule.name):
            if key in seen:
                raise PackError(shown, rule.source_line, f"'{key}' is defined twice in this pack")
            seen[key] = rule.source_line
    return Pack(name=data["pack"], description=data["description"], path=shown, rules=rules)


def _build_rule(r: dict, raw: Any, pack: str, path: str, index: int) -> Rule:
    from mcp_lint.packs import yaml as yamlload
    from mcp_lint.check.primitives import PRIMITIVES  # local import: primitives import engine types

    line = raw.line if hasattr(raw, "line") else None
    where = Where(f"rules[{index}]", line)
    check_raw = r["check"]
    check_where = where.key("check", getattr(raw, "key_lines", {}).get("check"))
    if not hasattr(check_raw, "items"):
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
    params_raw.line = getattr(check_raw, "line", line)
    params_raw.key_lines = getattr(check_raw, "key_lines", {})
    params = primitive.PARAMS.validate(params_raw, check_where)

    message_where = where.key("message", getattr(raw, "key_lines", {}).get("message"))
    _check_placeholders(r["message"], primitive, message_where)

    fix = None if r["fix"] == "none" else Applicability(r["fix"])
    if fix is not None and not primitive.FIXABLE:
        raise where.key("fix", None).error(f"primitive '{primitive_name}' offers no fix")
    if fix is None and any(e["fixed"] is not None for e in r["examples"]["invalid"]):
        raise where.key("fix", None).error("an example gives `fixed:` code but the rule has no `fix:`")
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
        primitive=primitive_name, params=MappingProxyType(params), invalid=invalid, valid=valid,
        fix=fix, enabled=r["enabled"], source=path, source_line=line or 0,
        security_severity=r["security-severity"],
    )


def _item_line(seq: Any, i: int) -> int:
    lines = getattr(seq, "item_lines", [])
    return lines[i] if i < len(lines) else 0


def _check_placeholders(message: str, primitive: Any, where: Where) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(message) if f is not None]
    except ValueError as exc:
        raise where.error(f"bad message template: {exc}") from None
    for f in fields:
        name = f.split(".")[0].split("[")[0]
        if name not in primitive.PLACEHOLDERS:
            known = ", ".join(sorted(primitive.PLACEHOLDERS)) or "none"
            raise where.error(f"placeholder '{{{name}}}' is not supplied by primitive "
                              f"'{primitive.NAME}' (it supplies: {known})")
