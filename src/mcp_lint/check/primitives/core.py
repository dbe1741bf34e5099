"""Core primitives implemented by the engine itself: they declare what a pack may say."""

from __future__ import annotations

from mcp_lint.check.primitives.base import Primitive


class ParseError(Primitive):
    """MCP001: the engine reports a file it cannot decode or parse."""

    NAME = "parse-error"
    PLACEHOLDERS = frozenset({"problem"})


class UnusedSuppression(Primitive):
    """MCP900: suppression comments holding codes they do not need (unused, not enabled,
    unknown, duplicated, redundant), reported by the suppression pass (check/suppress.py)."""

    NAME = "unused-suppression"
    PLACEHOLDERS = frozenset({"codes", "directive", "what"})
    FIXABLE = True
