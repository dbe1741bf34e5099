"""Regular expressions written in rule packs: compiled at validation, refused when they can
backtrack for ever, and matched on a bounded prefix of their subject.

Python's `re` backtracks, and a pattern from a pack someone shared can make one match take
longer than the age of the universe (`^(a|aa)+$` on forty `a`s and a `b`), or polynomial time
in the subject (`\\w*\\w*\\w*!`). Nothing can interrupt a match from another thread, so the only
defence is to refuse such patterns before any match and to bound what each match reads:

- refused: a quantifier inside a repeated group (`(a+)+`, `(\\w+\\s?)*`: a nested quantifier), an
  alternation inside a repeated group (`(a|aa)+`, `(foo|bar)*`), a backreference (`(a)\\1`);
- the worst case of a search is estimated as a polynomial in the subject's length (`_cost`:
  quantifiers one after another multiply, alternatives add); a match reads at most the first
  `cap` characters of its subject, the largest length (up to `SUBJECT_CAP`) whose worst case fits
  `MATCH_BUDGET` steps, and a pattern whose cap would be under `MIN_SUBJECT_CAP` is refused.

The structure comes from Python's own regex parser (`re._parser`, private): `_parse` is the
one function that touches it, turns it into `Node`s, and raises `RegexShapeError` on anything
it does not know, so a change in a later Python fails loudly (tests/test_hostile_packs.py) rather
than letting a pattern through unexamined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUBJECT_CAP = 4096  # characters of a subject a match reads, at most
MIN_SUBJECT_CAP = 64  # a pattern that cannot match this many within the budget is refused
MATCH_BUDGET = 100_000_000  # worst-case steps of one search (some tenths of a second)
MAX_PATTERN_LENGTH = 1000
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
    # atom: what it matches. ("lit", code) / ("not", code) / ("any",) / ("in", negated, items)
    # with items ("lit", code) / ("range", lo, hi) / ("cat", name); or ("at", name) for an assertion.
    chars: tuple = ()


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

    def cls(items) -> tuple:
        negated, out = False, []
        for op, av in items:
            kind = getattr(op, "name", str(op))
            if kind == "NEGATE":
                negated = True
            elif kind == "LITERAL":
                out.append(("lit", int(av)))
            elif kind == "RANGE":
                out.append(("range", int(av[0]), int(av[1])))
            elif kind == "CATEGORY":
                out.append(("cat", getattr(av, "name", str(av))))
            else:
                raise RegexShapeError(f"unknown character class item {kind}")
        return ("in", negated, tuple(out))

    def item(op, av) -> Node:
        name = getattr(op, "name", str(op))
        if name == "LITERAL":
            return Node("atom", width=1, chars=("lit", int(av)))
        if name == "NOT_LITERAL":
            return Node("atom", width=1, chars=("not", int(av)))
        if name == "ANY":
            return Node("atom", width=1, chars=("any",))
        if name == "IN":
            return Node("atom", width=1, chars=cls(av))
        if name == "AT":
            return Node("atom", width=0, chars=("at", getattr(av, "name", str(av))))
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
    """What makes a pattern backtrack exponentially, if it has it."""
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


# The cost of one match, as a polynomial in the subject's length L (coefficients by degree): an
# unbounded quantifier may take any of L lengths, a bounded one any of its counts, an
# alternation any of its branches; a sequence multiplies, an alternation adds, and a search tries
# every start position (one more factor L). Coefficients are capped: beyond the budget they no
# longer matter.
Poly = tuple


def _capped(value: int) -> int:
    return min(value, MATCH_BUDGET + 1)


def _mul(a: Poly, b: Poly) -> Poly:
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] = _capped(out[i + j] + x * y)
    return tuple(out)


def _add(a: Poly, b: Poly) -> Poly:
    out = [0] * max(len(a), len(b))
    for i, x in enumerate(a):
        out[i] += x
    for i, y in enumerate(b):
        out[i] = _capped(out[i] + y)
    return tuple(out)


def _cost(node: Node) -> Poly:
    if node.kind in ("atom", "backref"):
        return (1,)
    if node.kind == "group":
        return _cost(node.children[0])
    if node.kind == "seq":
        out: Poly = (1,)
        for child in node.children:
            out = _mul(out, _cost(child))
            if len(out) > 8:  # far beyond any budget: stop multiplying
                break
        return out
    if node.kind == "branch":
        out = (0,)
        for child in node.children:
            out = _add(out, _cost(child))
        return out or (1,)
    inner = _cost(node.children[0])
    if node.max is None or node.max > SUBJECT_CAP:  # any of L counts
        return _mul((1, 1), inner)
    total: Poly = (0,)
    power: Poly = (1,)
    for count in range(node.max + 1):  # x{2,4}: two, three or four copies
        if count >= node.min:
            total = _add(total, power)
        if count < node.max:
            power = _mul(power, inner)
        if all(c > MATCH_BUDGET for c in total):
            break
    return total


def _path(node: Node) -> int:
    """The most items one way through the pattern walks (what each of its ways costs)."""
    if node.kind == "seq":
        return sum(_path(c) for c in node.children)
    if node.kind == "branch":
        return max((_path(c) for c in node.children), default=0)
    if node.kind in ("group", "repeat"):
        return 1 + _path(node.children[0])
    return 1


def _steps(poly: Poly, path: int, length: int) -> int:
    """Worst-case steps of a search over `length` characters: every start position, every way
    through the pattern, each as long as the longest."""
    return length * path * sum(c * length ** i for i, c in enumerate(poly))


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
        cost = _cost(tree) if problem is None else (1,)
        path = _path(tree)
    except RecursionError:
        return Checked("invalid regular expression: nested too deeply")
    if problem:
        return Checked(f"regular expression refused: {problem}")
    if _steps(cost, path, MIN_SUBJECT_CAP) > MATCH_BUDGET:
        return Checked("regular expression refused: it can backtrack too much even on a short subject (too many "
                       "quantifiers one after another, or alternatives and counts that multiply)")
    low, high = MIN_SUBJECT_CAP, SUBJECT_CAP
    while low < high:  # the longest subject whose worst case fits the budget
        mid = (low + high + 1) // 2
        if _steps(cost, path, mid) <= MATCH_BUDGET:
            low = mid
        else:
            high = mid - 1
    return Checked(None, low)


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


# -- what a pattern lets through (validation written in Python code) ----------------------------------
# A guard such as `if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name): raise` leaves only values
# the pattern matches whole. Which characters such a value can hold, and which it can start with,
# says which sinks it is safe for (model/knowledge.py `DANGEROUS_CHARACTERS`). The structure comes
# from the same parser adapter as above (`_parse`).

_CATEGORIES = {  # re's categories as Python predicates on one character
    "CATEGORY_DIGIT": lambda c: c.isdecimal(),
    "CATEGORY_NOT_DIGIT": lambda c: not c.isdecimal(),
    "CATEGORY_SPACE": lambda c: c in " \t\n\r\f\v" or c.isspace(),
    "CATEGORY_NOT_SPACE": lambda c: not (c in " \t\n\r\f\v" or c.isspace()),
    "CATEGORY_WORD": lambda c: c.isalnum() or c == "_",
    "CATEGORY_NOT_WORD": lambda c: not (c.isalnum() or c == "_"),
}


def _atom_allows(chars: tuple, c: str, flags: int) -> bool:
    kind = chars[0]
    if kind == "lit":
        return _same(chars[1], c, flags)
    if kind == "not":
        return not _same(chars[1], c, flags)
    if kind == "any":
        return c != "\n" or bool(flags & re.DOTALL)
    if kind == "in":
        hit = False
        for entry in chars[2]:
            if entry[0] == "lit":
                hit = _same(entry[1], c, flags)
            elif entry[0] == "range":
                hit = entry[1] <= ord(c) <= entry[2] or bool(flags & re.IGNORECASE) and (
                    entry[1] <= ord(c.lower()) <= entry[2] or entry[1] <= ord(c.upper()) <= entry[2])
            else:
                test = _CATEGORIES.get(entry[1])
                if test is None:
                    raise RegexShapeError(f"unknown category {entry[1]}")
                hit = test(c)
            if hit:
                break
        return hit != chars[1]
    return False


def _same(code: int, c: str, flags: int) -> bool:
    return chr(code) == c or bool(flags & re.IGNORECASE) and chr(code).lower() == c.lower()


def _chars_of(node: Node, out: list) -> None:
    """Every character atom a match can use (lookarounds consume nothing)."""
    if node.kind == "atom":
        if node.width:
            out.append(node.chars)
    elif node.kind == "backref":
        raise RegexShapeError("a backreference repeats text the pattern does not describe")
    elif not (node.kind == "group" and node.look):
        for child in node.children:
            _chars_of(child, out)


def _first(node: Node, out: list) -> bool:
    """Add the atoms a match can start with; return whether `node` can match empty text."""
    if node.kind == "atom":
        if node.width:
            out.append(node.chars)
            return False
        return True
    if node.kind == "group":
        return True if node.look else _first(node.children[0], out)
    if node.kind == "seq":
        for child in node.children:
            if not _first(child, out):
                return False
        return True
    if node.kind == "branch":
        empty = False
        for child in node.children:
            empty = _first(child, out) or empty
        return empty or not node.children
    if node.kind == "repeat":
        return _first(node.children[0], out) or node.min == 0
    raise RegexShapeError(f"unknown node {node.kind}")


@dataclass(frozen=True)
class Whole:
    """What a value that a pattern matched whole can be: `allows(c)`, can it hold `c`;
    `starts(c)`, can it start with `c`; `matches(text)`, is `text` one such value."""

    atoms: tuple
    first: tuple
    flags: int
    compiled: re.Pattern | None = None  # None: any text of allowed characters

    def allows(self, c: str) -> bool:
        return any(_atom_allows(a, c, self.flags) for a in self.atoms)

    def starts(self, c: str) -> bool:
        return any(_atom_allows(a, c, self.flags) for a in self.first)

    def matches(self, text: str) -> bool:
        if self.compiled is None:
            return all(self.allows(c) for c in text)
        return self.compiled.fullmatch(text) is not None

    def plus(self, text: str) -> Whole:
        """The same, with the characters of `text` allowed too (what `re.sub` puts in)."""
        extra = tuple(("lit", ord(c)) for c in dict.fromkeys(text))
        return Whole(self.atoms + extra, self.first + extra, self.flags, None)


_STARTS = frozenset({"AT_BEGINNING", "AT_BEGINNING_STRING"})
_ENDS = frozenset({"AT_END", "AT_END_STRING"})


def whole_match(pattern: str, flags: int = 0, mode: str = "fullmatch", need_end: bool = True) -> Whole | None:
    """What values pass `re.<mode>(pattern, value)` as a guard (mode: fullmatch, match or
    search), when the pattern holds them whole: anchored at both ends by the mode or by
    `^`/`\\A` and `$`/`\\Z` (not under MULTILINE). None: the pattern can be passed by a value
    it does not describe, or cannot be read (then nothing is concluded from it). With
    `need_end=False` a pattern anchored at the start only describes how a value starts (any
    character may follow)."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return None
    try:
        compiled = re.compile(pattern, flags)
        tree = _parse(pattern, flags)
        flags = compiled.flags
        items = tree.children
        head = items[0] if items else None
        tail = items[-1] if items else None
        multiline = bool(flags & re.MULTILINE)

        def anchor(node: Node | None, names: frozenset[str]) -> bool:
            return node is not None and node.kind == "atom" and not node.width and node.chars[:1] == ("at",) \
                and node.chars[1] in names and not (multiline and node.chars[1] in ("AT_BEGINNING", "AT_END"))

        if mode == "search" and not anchor(head, _STARTS):
            return None
        ended = mode == "fullmatch" or anchor(tail, _ENDS)
        if not ended and need_end:
            return None
        atoms: list = []
        _chars_of(tree, atoms)
        first: list = []
        if _first(tree, first) and not ended:
            first.append(("any",))  # the pattern may match nothing: what follows comes first
    except (re.error, RegexShapeError, RecursionError, OverflowError, ValueError, TypeError, AssertionError,
            IndexError):
        return None
    if not ended:  # anything may follow what the pattern describes
        return Whole((("any",),), tuple(first), flags | re.DOTALL, None)
    return Whole(tuple(atoms), tuple(first), flags, compiled)


def only_class(pattern: str, flags: int = 0) -> Whole | None:
    """`[^A-Za-z0-9_]` (optionally repeated): the characters it does NOT match are the only
    ones left in a value after `re.sub(pattern, <one of them or nothing>, value)`, or in a
    value that `re.search(pattern, value)` found nothing in. None for any other pattern."""
    try:
        compiled = re.compile(pattern, flags)
        tree = _parse(pattern, flags)
    except (re.error, RegexShapeError, RecursionError, OverflowError, ValueError, TypeError, AssertionError,
            IndexError):
        return None
    node = tree.children[0] if len(tree.children) == 1 else None
    if node is not None and node.kind == "repeat" and node.min >= 1 and len(node.children[0].children) == 1:
        node = node.children[0].children[0]
    if node is None or node.kind != "atom" or not node.width:
        return None
    chars = node.chars
    if chars[0] == "in":
        left = ("in", not chars[1], chars[2])
    elif chars[0] == "lit":
        left = ("not", chars[1])
    elif chars[0] == "not":
        left = ("lit", chars[1])
    else:
        return None
    return Whole((left,), (left,), compiled.flags, None)
