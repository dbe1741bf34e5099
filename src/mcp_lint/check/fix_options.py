"""Run options that shape fixes, attached to the rules whose fixes use them (no parser needed:
a run answered from the cache imports this too).

`fix-timeout` in `[tool.mcp-lint]` is the timeout, in seconds, that the MCP401 fix adds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from types import MappingProxyType

from mcp_lint.model.rules import Rule

from mcp_lint.model.settings import DEFAULT_FIX_TIMEOUT


def configure(rules: Iterable[Rule], settings) -> list[Rule]:
    """The rules with the run's fix options attached (`Rule.options`); a rule is returned
    unchanged when the options are the defaults, so cached results stay valid."""
    timeout = getattr(settings, "fix_timeout", DEFAULT_FIX_TIMEOUT)
    out = []
    for rule in rules:
        if timeout != DEFAULT_FIX_TIMEOUT and rule.fix is not None:
            rule = replace(rule, options=MappingProxyType({**rule.options, "fix-timeout": timeout}))
        out.append(rule)
    return out


def fix_timeout(rule: Rule) -> str:
    """The timeout a fix adds, as source text (`30`, `2.5`)."""
    value = rule.options.get("fix-timeout", DEFAULT_FIX_TIMEOUT)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)
