"""Regular expressions written in rule packs: compiled at validation, refused when they can
backtrack for ever, and matched on a bounded prefix of their subject.

Python's `re` backtracks, and a pattern from a pack someone shared can make one match take
longer than the age of the universe (`^(a|aa)+$` on forty `a`s and a `b`), or polynomial time
in the subject (`\\w*\\w*\\w*!`). Nothing can interrupt a match from another thread, so the only
defence is to refuse such patterns before any match and to bound what each match reads:

- refused: a quantifier inside a repeated group (`(a+)+`, `(\\w+\\s?)*`: a nested quantifier), an
  alternation inside a repeated group (`(a|aa)+`, `(foo|bar)*`), a backreference (`(a)\\1`),
  more than two unbounded quantifiers (`*`, `+`, `{n,}`) one after another on some path through
  the pattern, or bounded quantifiers whose choices multiply past `MAX_CHOICES`;
- a subject is matched on its first `SUBJECT_CAP` characters (`SUBJECT_CAP_QUADRATIC` for a
  pattern with two unbounded quantifiers in a row), which bounds the cost of every match.

The structure comes from Python's own regex parser (`re._parser`, private): `_parse` is the
one function that touches it, turns it into `Node`s, and raises `RegexShapeError` on anything
it does not know, so a change in a later Python fails loudly (tests/test_hostile_packs.py) rather
than letting a pattern through unexamined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUBJECT_CAP = 4096
SUBJECT_CAP_QUADRATIC = 256
MAX_PATTERN_LENGTH = 1000
MAX_CHOICES = 100_000  # product of the choices bounded quantifiers (`?`, `{1,20}`) give along a path
MAX_UNBOUNDED_IN_A_ROW = 2
UNBOUNDED = None


class RegexShapeError(Exception):
    """Python's regex parser returned something `_parse` does not know."""


@dataclass(frozen=True)
class Node:
    """A pattern's structure: `atom` (one character or an assertion), `seq`, `branch`,
    `repeat` (min, max; max None: unbounded), `group` (capturing, atomic or lookaround; `look`
    marks a lookaround), `backref`."""

    kind: str
    children: tuple[Node, ...] = ()
    min: int = 1
    max: int | None = 1
    width: int = 1  # atom: 1 for a character, 0 for an assertion (\b, ^, $)
    look: bool = False


def _parse(pattern: str, flags: int = 0) -> Node:
    """Python's own parse of `pattern`, as `Node`s (the only use of the private parser)."""
    try:
        from re import _parser as sre  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse as sre  # type: ignore[no-redef]
    parsed = sre.parse(pattern, flags)
    maxrepeat = sre.MAXREPEAT
    data = getattr(parsed, "data", None)
    if not isinstance(data, list):
        raise RegexShapeError(f"parse() returned {type(parsed).__name__} without a list of items")

    def seq(items) -> Node:
        if not isinstance(items, (list,)) and not hasattr(items, "data"):
            raise RegexShapeError(f"expected a list of items, got {type(items).__name__}")
        return Node("seq", tuple(item(op, av) for op, av in getattr(items, "data", items)))

    def item(op, av) -> Node:
        name = getattr(op, "name", str(op))
        if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            return Node("atom", width=1)
        if name == "AT":
            return Node("atom", width=0)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = av
            return Node("repeat", (seq(body),), min=int(low), max=UNBOUNDED if high == maxrepeat else int(high))
        if name == "SUBPATTERN":
            return Node("group", (seq(av[-1]),))
        if name == "ATOMIC_GROUP":
            return Node("group", (seq(av),))
        if name in ("ASSERT", "ASSERT_NOT"):
            return Node("group", (seq(av[1]),), look=True)
        if name == "BRANCH":
            return Node("branch", tuple(seq(b) for b in av[1]))
        if name == "GROUPREF_EXISTS":  # (?(1)yes|no): a choice between two sequences
            return Node("branch", (seq(av[1]), seq(av[2]) if av[2] is not None else Node("seq")))
        if name == "GROUPREF":
            return Node("backref")
        raise RegexShapeError(f"unknown regex item {name}")

    return seq(parsed)


@dataclass(frozen=True)
class _Cost:
    unbounded: int  # most unbounded quantifiers on one path, one after another
    choices: int  # most choices bounded quantifiers multiply to on one path


def _widths(node: Node) -> tuple[int, float]:
    """Shortest and longest text `node` matches (inf: unbounded)."""
    if node.kind == "atom":
        return node.width, node.width
    if node.kind == "backref":
        return 0, float("inf")
    if node.kind == "group":
        return (0, 0) if node.look else _widths(node.children[0])
    if node.kind == "seq":
        lo, hi = 0, 0.0
        for child in node.children:
            a, b = _widths(child)
            lo, hi = lo + a, hi + b
        return lo, hi
    if node.kind == "branch":
        pairs = [_widths(c) for c in node.children] or [(0, 0.0)]
        return min(p[0] for p in pairs), max(p[1] for p in pairs)
    lo, hi = _widths(node.children[0])
    top = float("inf") if node.max is None else node.max
    return lo * node.min, (hi * top if hi else 0.0)


def _has(node: Node, kind: str) -> bool:
    return node.kind == kind or any(_has(c, kind) for c in node.children)


def _has_quantifier(node: Node) -> bool:
    return any(c.kind == "repeat" and c.max != c.min or _has_quantifier(c) for c in node.children)


def _problem_in(node: Node) -> str | None:
    if node.kind == "backref":
        return "a backreference (matching one is exponential in the worst case)"
    if node.kind == "repeat" and (node.max is None or node.max > 1):
        body = node.children[0]
        lo, hi = _widths(body)
        if _has_quantifier(body) or (lo != hi and not _has(body, "branch")):
            return "a quantifier inside a repeated group (a nested quantifier: exponential backtracking)"
        if _has(body, "branch"):
            return ("an alternation inside a repeated group (exponential backtracking when the "
                    "alternatives overlap; use a character class)")
    for child in node.children:
        found = _problem_in(child)
        if found:
            return found
    return None


def _cost(node: Node) -> _Cost:
    if node.kind in ("atom", "backref"):
        return _Cost(0, 1)
    if node.kind == "group":
        return _cost(node.children[0])
    if node.kind == "seq":
        unbounded, choices = 0, 1
        for child in node.children:
            c = _cost(child)
            unbounded += c.unbounded
            choices = min(choices * c.choices, MAX_CHOICES + 1)
        return _Cost(unbounded, choices)
    if node.kind == "branch":
        costs = [_cost(c) for c in node.children] or [_Cost(0, 1)]
        return _Cost(max(c.unbounded for c in costs), min(sum(c.choices for c in costs), MAX_CHOICES + 1))
    inner = _cost(node.children[0])
    if node.max is None:
        return _Cost(inner.unbounded + 1, inner.choices)
    if node.max == node.min:  # x{3}: three copies
        choices = min(inner.choices ** min(node.max, 64), MAX_CHOICES + 1) if inner.choices > 1 else 1
        return _Cost(inner.unbounded * node.max, choices)
    return _Cost(inner.unbounded, min(inner.choices * (node.max - node.min + 1), MAX_CHOICES + 1))


@dataclass(frozen=True)
class Checked:
    problem: str | None  # None: the pattern is accepted
    cap: int = SUBJECT_CAP  # how many characters of a subject a match reads


def check_regex(pattern: str, flags: int = 0) -> Checked:
    """Whether a pack may use `pattern`, and the subject cap it runs with."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return Checked(f"a regular expression longer than {MAX_PATTERN_LENGTH} characters")
    try:
        re.compile(pattern, flags)
        tree = _parse(pattern, flags)
    except re.error as exc:
        return Checked(f"invalid regular expression: {exc}")
    except RecursionError:
        return Checked("invalid regular expression: nested too deeply")
    except (OverflowError, ValueError, TypeError, AssertionError, IndexError) as exc:
        return Checked(f"invalid regular expression: {exc}")
    except RegexShapeError as exc:
        return Checked(f"cannot check this regular expression: {exc}")
    try:
        problem = _problem_in(tree)
        cost = _cost(tree)
    except RecursionError:
        return Checked("invalid regular expression: nested too deeply")
    if problem:
        return Checked(f"regular expression refused: {problem}")
    if cost.unbounded > MAX_UNBOUNDED_IN_A_ROW:
        return Checked(f"regular expression refused: more than {MAX_UNBOUNDED_IN_A_ROW} unbounded quantifiers "
                       "(*, +, {n,}) one after another (polynomial backtracking)")
    if cost.choices > MAX_CHOICES:
        return Checked(f"regular expression refused: its bounded quantifiers multiply to more than "
                       f"{MAX_CHOICES:,} choices")
    return Checked(None, SUBJECT_CAP_QUADRATIC if cost.unbounded >= 2 else SUBJECT_CAP)


class BoundedPattern:
    """A compiled pack pattern that matches only the first `cap` characters of a subject."""

    __slots__ = ("compiled", "cap", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        checked = check_regex(pattern, flags)
        if checked.problem is not None:
            raise ValueError(checked.problem)
        self.pattern = pattern
        self.compiled = re.compile(pattern, flags)
        self.cap = checked.cap

    def search(self, subject: str) -> re.Match[str] | None:
        return self.compiled.search(subject[: self.cap])

    def match(self, subject: str) -> re.Match[str] | None:
        return self.compiled.match(subject[: self.cap])

    def fullmatch(self, subject: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(subject[: self.cap]) if len(subject) <= self.cap else None

    def __repr__(self) -> str:
        return f"BoundedPattern({self.pattern!r}, cap={self.cap})"


def pack_regex(pattern: str, flags: int = 0) -> BoundedPattern:
    """A pack's pattern, ready to match (it was accepted at validation)."""
    return BoundedPattern(pattern, flags)
