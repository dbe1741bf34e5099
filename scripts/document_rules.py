#!/usr/bin/env python3
"""Generate docs/rules/<ID>.md (one page per rule), docs/rules/README.md (the index) and
docs/primitives.md (what each check primitive takes) from the packs and the code.

    python scripts/document_rules.py          # write the pages
    python scripts/document_rules.py --check  # exit 1 if any page is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mcp_lint.output.docs import rule_markdown
from mcp_lint.check.primitives import PRIMITIVES
from mcp_lint.packs.registry import default_registry
from mcp_lint.model.schema import Key, List, Map

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def rule_index(rules) -> str:
    lines = ["# Rules", "", "Generated from the rule packs by `scripts/document_rules.py`; run "
             "`mcp-lint rule CODE` for the same text in a terminal.", "",
             "| id | name | pack | severity | fix | on by default |", "|---|---|---|---|---|---|"]
    for r in rules:
        fix = r.fix.value if r.fix else ""
        lines.append(f"| [{r.id}]({r.id}.md) | {r.name} | {r.pack} | {r.severity.value} | {fix} | "
                     f"{'yes' if r.enabled else 'no'} |")
    return "\n".join(lines) + "\n"


def _describe(field) -> str:
    name = type(field).__name__.rstrip("_").lower()
    if isinstance(field, List):
        return f"list of {_describe(field.item)}"
    if isinstance(field, Map):
        return "mapping"
    choices = getattr(field, "choices", ())
    return f"{name} ({' | '.join(choices)})" if choices else name


def _params(schema: Map, indent: str = "") -> list[str]:
    out = []
    for key, spec in schema.keys.items():
        assert isinstance(spec, Key)
        req = "required" if spec.required else (f"default `{list(spec.default) if isinstance(spec.default, tuple) else spec.default}`"
                                                if spec.default not in (None, (), {}) else "optional")
        out.append(f"{indent}- `{key}`: {_describe(spec.field)}, {req}")
        inner = spec.field.item if isinstance(spec.field, List) else spec.field
        if isinstance(inner, Map):
            out.extend(_params(inner, indent + "  "))
    return out


def primitives_page() -> str:
    lines = ["# Check primitives", "",
             "A rule pack's `check:` names one primitive and gives its parameters. This page is "
             "generated from the code by `scripts/document_rules.py`.", ""]
    for name in sorted(PRIMITIVES):
        cls = PRIMITIVES[name]
        doc = (cls.__doc__ or "").strip() or ((sys.modules[cls.__module__].__doc__ or "").strip())
        lines += [f"## `{name}`", "", doc, ""]
        params = _params(cls.PARAMS)
        lines += ["Parameters:", ""] + (params or ["- none"]) + [""]
        placeholders = ", ".join(f"`{{{p}}}`" for p in sorted(cls.PLACEHOLDERS)) or "none"
        lines += [f"Message placeholders: {placeholders}.", ""]
        if cls.FIXABLE:
            lines += ["Offers a fix: `fix: safe` or `fix: unsafe` in the rule says how safe it is.", ""]
    return "\n".join(lines).rstrip() + "\n"


def pages() -> dict[Path, str]:
    rules = default_registry().rules
    out = {DOCS / "rules" / f"{r.id}.md": rule_markdown(r) for r in rules}
    out[DOCS / "rules" / "README.md"] = rule_index(rules)
    out[DOCS / "primitives.md"] = primitives_page()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a generated page is out of date")
    args = parser.parse_args()
    stale = []
    for path, text in pages().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("out of date (run scripts/document_rules.py):", *map(str, stale), sep="\n  ")
        return 1
    if not args.check:
        print(f"wrote {len(stale)} page(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
