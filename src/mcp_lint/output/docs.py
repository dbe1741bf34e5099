"""Rule documentation from pack metadata, in ruff's fixed sections.

The same Markdown feeds `mcp-lint rule CODE`, SARIF `help.markdown`, and the generated pages
under docs/rules/ (scripts/document_rules.py). The "Example" is the rule's first INVALID
example and "Use instead" its first VALID one, so the docs are tested code. A rule with a fix
has a "Fix safety" section (safe or unsafe, and why) showing the first example that gives its
`fixed:` code, which the example tests check is exactly what the fix produces.
"""

from __future__ import annotations

import textwrap

from mcp_lint.model.rules import Example, Rule

_FENCE = {".toml": "toml", ".py": "python"}


def rule_markdown(rule: Rule) -> str:
    parts = [f"# {rule.id}: {rule.name}", ""]
    meta = f"Pack `{rule.pack}` · severity **{rule.severity.value}** · confidence {rule.confidence.value}"
    if rule.security_severity is not None:
        meta += f" · security-severity {rule.security_severity:.1f}"
    if rule.fix is not None:
        meta += f" · fix: {rule.fix.value}"
    if not rule.enabled:
        meta += " · off by default"
    parts += [meta, "", "## What it does", "", rule.docs.what, "", "## Why is this bad?", "", rule.docs.why]
    if rule.invalid:
        parts += ["", "## Example", ""] + _example(rule.invalid[0])
    if rule.valid or rule.docs.use_instead:
        parts += ["", "## Use instead", ""]
        if rule.docs.use_instead:
            parts += [rule.docs.use_instead, ""]
        if rule.valid:
            parts += _example(rule.valid[0])
    if rule.fix is not None:
        parts += ["", "## Fix safety", "", _fix_safety(rule)]
        shown = next((e for e in rule.invalid if e.fixed is not None and not e.files and
                      textwrap.dedent(e.fixed) != textwrap.dedent(e.code)), None)
        if shown is not None:
            where = "the example above" if shown is rule.invalid[0] else "this code"
            if shown is not rule.invalid[0]:
                parts += ["", *_example(shown)]
            parts += ["", f"`mcp-lint --fix{' --unsafe-fixes' if rule.fix.value == 'unsafe' else ''}` turns "
                          f"{where} into:", "", "```python", textwrap.dedent(shown.fixed).rstrip(), "```"]
    if rule.docs.references:
        parts += ["", "## References", ""] + [f"- {r}" for r in rule.docs.references]
    tags = ", ".join(f"`{t}`" for t in rule.tags)
    parts += ["", f"Tags: {tags}"]
    return "\n".join(parts) + "\n"


def _fix_safety(rule: Rule) -> str:
    """Ruff's wording: whether `--fix` applies the fix, then the rule's own explanation."""
    if rule.fix is None:
        return ""
    head = ("This rule's fix is marked as safe: `--fix` applies it." if rule.fix.value == "safe" else
            "This rule's fix is marked as unsafe: it may change what the code does, so `--fix` applies it only "
            "with `--unsafe-fixes` (`--diff` shows it first).")
    return head + (" " + rule.docs.fix_safety if rule.docs.fix_safety else "")


def _example(example: Example) -> list[str]:
    """An example's code block; an example with other files (a manifest) shows each, named."""
    code = ["```python", textwrap.dedent(example.code).rstrip(), "```"]
    if not example.files:
        return code
    out: list[str] = []
    for name, text in {**example.files, example.filename: example.code}.items():
        fence = _FENCE.get(name[name.rfind("."):], "text")
        out += [f"`{name}`:", "", f"```{fence}", textwrap.dedent(text).rstrip(), "```", ""]
    return out[:-1]
