"""The suppression pass, run on a file's findings once they are made.

Comments (`# noqa: MCP101`, `# mcp-lint: ignore[...]`, `# mcp-lint: file-ignore[...]`, read by
`source.suppressions`) silence the findings they match; then MCP900 (unused-suppression)
reports, as ruff's RUF100 does, each directive holding a code it does not need:

- unused: a rule that is enabled but had no finding there;
- non-enabled: a rule (or every rule of a prefix) this run does not check;
- unknown: no such rule, no rule with that prefix, or a prefix in `# noqa:` (which, as in ruff,
  takes whole ids only);
- duplicated: the same code twice in one directive;
- redundant: a code whose rules another code of the directive already names
  (`ignore[MCP101, sql-string-formatting]`: both name MCP101).

A directive that silences nothing is "unused"; one that silences something but holds codes it
does not need says so. A directive naming MCP900 itself is left alone, and so is a blanket
`# noqa` (without codes it is as likely meant for another linter). The safe fix removes exactly
the codes it reports: other tools' codes and the rest of the comment stay (`# noqa: MCP101, E501`
becomes `# noqa: E501`), and a directive left with nothing is removed with the spaces before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mcp_lint.check.factory import FindingFactory, render_message
from mcp_lint.model.findings import Edit, Finding, Fix
from mcp_lint.model.rules import Rule
from mcp_lint.source import suppressions
from mcp_lint.source.lines import LineTable

_ID = re.compile(r"[A-Za-z]+[0-9]+")
_PREFIX = re.compile(r"[A-Z][A-Z0-9]*")
_ORDER = ("unused", "non-enabled", "unknown", "duplicated", "redundant")


class SuppressionPass:
    """The rules of a run as the suppression pass needs them."""

    def __init__(self, rules: Iterable[Rule], known_codes: Iterable[str], unused_rule: Rule | None) -> None:
        self.rules = list(rules)
        # Every rule id and name that exists (enabled or not): MCP900 tells unknown codes from
        # disabled ones.
        known = frozenset(known_codes)
        self.known_codes = frozenset(c for c in known if _ID.fullmatch(c)) | frozenset(r.id for r in self.rules)
        self.known_names = frozenset(c for c in known if not _ID.fullmatch(c)) | frozenset(r.name for r in self.rules)
        # The letter prefixes of every known rule id (MCP, and those of custom packs): a
        # `# noqa:` code with another prefix belongs to another tool.
        self.known_prefixes = suppressions.code_prefixes(self.known_codes)
        self.enabled_ids = frozenset(r.id for r in self.rules)
        self.enabled_names = {r.name: r.id for r in self.rules}
        self.unused_rule = unused_rule

    def apply(self, findings: list[Finding], text: str, lines: LineTable, factory: FindingFactory) -> list[Finding]:
        """The findings no comment silences, plus MCP900 findings for directives that hold codes
        they do not need."""
        sups = suppressions.find(text, self.known_prefixes)
        if not sups:
            return findings
        sup = suppressions.Suppressor(sups)
        kept = [f for f in findings if not sup.suppressed(f)]
        if self.unused_rule is not None:
            kept.extend(f for f in self._unneeded(sups, lines, factory) if not sup.suppressed(f))
        return kept

    def file_level(self, finding: Finding, text: str) -> bool:
        """Is `finding` silenced by a file-level directive of `text`? (A file that does not parse
        has only those: its lines cannot be trusted.)"""
        if not text:
            return False
        sup = suppressions.Suppressor(suppressions.find(text, self.known_prefixes))
        return any(s.matches(finding) for s in sup.file_level)

    # -- what a code names ---------------------------------------------------------------------
    def rules_of(self, code: str, kind: str) -> frozenset[str]:
        """The ids of the known rules `code` names in a directive of `kind` (empty: unknown)."""
        if code in self.known_codes:
            return frozenset({code})
        if code in self.known_names:
            if code in self.enabled_names:
                return frozenset({self.enabled_names[code]})
            return frozenset({f"name:{code}"})  # a known rule of another pack not loaded here
        if kind != "noqa" and _PREFIX.fullmatch(code):
            return frozenset(i for i in self.known_codes if i.startswith(code))
        return frozenset()

    def _is_unused_rule_code(self, code: str, kind: str) -> bool:
        rule = self.unused_rule
        return rule is not None and (code in (rule.id, rule.name) or (
            kind != "noqa" and _PREFIX.fullmatch(code) is not None and rule.id.startswith(code)))

    def classify(self, s: suppressions.Suppression) -> list[tuple[str, suppressions.Code, str]]:
        """(problem, code, detail) for each code of `s` that it does not need, in order."""
        assert s.codes is not None
        out: list[tuple[str, suppressions.Code, str]] = []
        ours = [e for e in s.entries if e.ours]
        seen: dict[str, suppressions.Code] = {}
        named = [(e, self.rules_of(e.key, s.kind)) for e in ours]
        for i, (entry, rules) in enumerate(named):
            code = entry.key
            if code in seen:
                out.append(("duplicated", entry, ""))
                continue
            seen[code] = entry
            if not rules:
                out.append(("unknown", entry, self._unknown_hint(code, s.kind)))
                continue
            cover = next((other for j, (other, theirs) in enumerate(named) if j != i and theirs and
                          other.key != code and rules <= theirs and (rules != theirs or j < i)), None)
            if cover is not None:
                same = rules == self.rules_of(cover.key, s.kind)
                out.append(("redundant", entry, f"`{cover.text}` already names {'it' if same else 'its rules'}"))
                continue
            if code in s.used:
                continue
            if any(r in self.enabled_ids for r in rules):
                out.append(("unused", entry, ""))
            else:
                out.append(("non-enabled", entry, ""))
        return out

    def _unknown_hint(self, code: str, kind: str) -> str:
        if kind == "noqa" and _PREFIX.fullmatch(code) and any(i.startswith(code) for i in self.known_codes):
            return "`# noqa` takes whole rule ids; use `# mcp-lint: ignore[...]` for a prefix"
        return "no such rule"

    # -- MCP900 --------------------------------------------------------------------------------
    def _unneeded(self, sups: list[suppressions.Suppression], lines: LineTable,
                  factory: FindingFactory) -> list[Finding]:
        rule = self.unused_rule
        assert rule is not None
        out = []
        for s in sups:
            if s.codes is None:
                if s.kind == "noqa" or s.used:
                    continue  # a blanket `# noqa` may be meant for another tool
                problems: list[tuple[str, suppressions.Code, str]] = []
                codes_text = "it names no rule, so it would silence every one"
                silences_nothing = True
            else:
                if any(self._is_unused_rule_code(c, s.kind) for c in s.codes):
                    continue  # a directive about MCP900 itself
                problems = self.classify(s)
                if not problems:
                    continue
                bad = {id(e) for _, e, _ in problems}
                silences_nothing = not s.used
                codes_text = _describe(problems)
                remaining = [e for e in s.entries if id(e) not in bad]
            where = "in this file" if s.kind == "file" else "here"
            what = f"silences nothing {where}" if silences_nothing else "holds codes it does not need"
            span = lines.span(lines.offset(s.line, s.col), lines.offset(s.line, s.end_col))
            message = render_message(rule, {"codes": codes_text, "directive": s.text, "what": what})
            fix = None
            if rule.fix:
                edit = _removal(s, lines) if s.codes is None or not remaining else _rewrite(s, remaining, lines)
                description = "Remove the unused suppression" if s.codes is None or not remaining else \
                    "Remove the codes the suppression does not need"
                fix = Fix(description, (edit,))
            finding = factory.make(rule, span, message, anchor=lines.line_text(s.line), statement_line=s.line,
                                   fix=fix)
            if finding is not None:
                out.append(finding)
        return out


_WORDS = {"unused": "unused", "non-enabled": "not enabled", "unknown": "unknown", "duplicated": "duplicated",
          "redundant": "redundant"}


def _describe(problems: list[tuple[str, suppressions.Code, str]]) -> str:
    """`MCP101` is unused; `MCP999`, `MCP998` are unknown (no such rule); ..."""
    parts = []
    for kind in _ORDER:
        found = [(e, detail) for k, e, detail in problems if k == kind]
        if not found:
            continue
        details = {d for _, d in found}
        if len(details) == 1:
            codes = ", ".join(f"`{e.text}`" for e, _ in found)
            detail = details.pop()
            verb = "is" if len(found) == 1 else "are"
            parts.append(f"{codes} {verb} {_WORDS[kind]}" + (f" ({detail})" if detail else ""))
        else:
            parts.extend(f"`{e.text}` is {_WORDS[kind]}" + (f" ({d})" if d else "") for e, d in found)
    return "; ".join(parts)


def _rewrite(s: suppressions.Suppression, keep: list[suppressions.Code], lines: LineTable) -> Edit:
    """The directive with only `keep` (in their order, as written), from its `#` to its end."""
    span = lines.span(lines.offset(s.line, s.col), lines.offset(s.line, s.end_col))
    joined = ", ".join(e.text for e in keep)
    if s.kind == "noqa":
        return Edit(span, f"# noqa: {joined}")
    word = "file-ignore" if s.kind == "file" else "ignore"
    return Edit(span, f"# mcp-lint: {word}[{joined}]")


def _removal(s: suppressions.Suppression, lines: LineTable) -> Edit:
    """The edit that removes a whole directive: its line when it is all the line holds;
    otherwise the directive and the spaces before it, leaving the rest of the comment (and
    never turning comment text into code)."""
    line_text = lines.line_text(s.line)
    start, end = s.col - 1, s.end_col - 1  # 0-based on the line
    before, after = line_text[:start], line_text[end:]
    if not after.strip() and not before.strip():
        line_start = lines.starts[s.line - 1]
        line_end = lines.starts[s.line] if s.line < len(lines.starts) else len(lines.source)
        return Edit(lines.span(line_start, line_end), "")
    if not after.strip():  # `code  # noqa: X` or `# type: ignore  # noqa: X`: drop it and the spaces before
        cut = len(before.rstrip())
        return Edit(lines.span(lines.offset(s.line, cut + 1), lines.offset(s.line, end + 1)), "")
    if after.lstrip().startswith("#"):  # `# noqa: X  # reason`: the next comment takes its place
        gap = len(after) - len(after.lstrip())
        return Edit(lines.span(lines.offset(s.line, start + 1), lines.offset(s.line, end + gap + 1)), "")
    if s.comment_start:  # `# noqa: X because ...`: the text stays a comment
        return Edit(lines.span(lines.offset(s.line, start + 1), lines.offset(s.line, end + 1)), "#")
    cut = len(before.rstrip())  # `# note # noqa: X more words`: `# note more words`
    return Edit(lines.span(lines.offset(s.line, cut + 1), lines.offset(s.line, end + 1)), "")
