"""What mcp-lint knows about libraries, as plain data: which calls are sinks (and of what kind),
which sanitise a value (and for which sinks), which pass values through or return nothing of
them, what calls return (receiver types), which block an event loop and which have no timeout
by default (version by version).

The analysis reads a `Knowledge` and holds no library names of its own. `packs/knowledge.py`
builds one from the YAML knowledge files shipped beside the rule packs (`rules/knowledge/`),
from the `knowledge:` section of rule packs and from the user's `knowledge-files`; the engine
hands it to every file's analysis and to the primitives. It is immutable, pickles (workers),
and encodes to JSON (the compiled-knowledge cache, `model/codec.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from types import MappingProxyType
from typing import Any

# The sanitizer kinds the flow analysis records and a rule's `sanitizers:` may accept: a value
# that passed one of them no longer counts as reaching a sink of that kind. (`all`, a value from
# a fixed set, is accepted by every rule.)
SANITIZER_KINDS: dict[str, str] = {
    "ast": "parsed with ast.parse / ast.literal_eval: data, not code",
    "attribute": "checked not to name a private or special attribute (`startswith(\"_\")` rejected)",
    "host": "its host checked against an allow-list, or a private-address guard",
    "html": "escaped for HTML (html.escape, markupsafe.escape)",
    "length": "a bounded length (Field(max_length=...))",
    "model": "validated by a pydantic model or a JSON schema",
    "code": "holds no character that could form code around a name (only names and dots pass)",
    "component": "inside a file name after literal text, before a literal extension (`f\"log-{x}.txt\"`)",
    "option": "checked not to start with '-'",
    "path": "contained: basename, secure_filename, checks of a normalised path (is_relative_to, startswith)",
    "pattern": "matched against a pattern (Field(pattern=...), re.fullmatch, isidentifier...)",
    "prefix": "checked to start with a given text (startswith, is_relative_to of a path not normalised)",
    "program": "a command's program (argv[0]) checked against an allow-list",
    "query": "a plain value (text), never an operator object inside a query document",
    "range": "a bounded number (Field(ge=..., le=...))",
    "regex": "escaped for a regular expression (re.escape)",
    "shell": "quoted for a POSIX shell (shlex.quote)",
    "sql": "quoted or bound for SQL (sql.Identifier, escape_string, identifier quoting...)",
    "url-component": "percent-encoded for one URL component (quote, quote_plus, urlencode)",
}

# What a sink does with the value: rules select sinks by kind (`sink-kinds:`).
SINK_KINDS: dict[str, str] = {
    "archive": "extracts an archive whose members choose where files are written",
    "attribute": "reads or writes an attribute the value names",
    "argv": "a command's argument vector (program, options, a shell's script)",
    "code": "Python code run, compiled or a module imported",
    "cypher": "the text of a Cypher query",
    "deserialize": "data decoded into arbitrary objects (pickle, unsafe YAML)",
    "es-query": "an Elasticsearch script or query text",
    "mongo-query": "a MongoDB filter or pipeline (operators such as $where run code)",
    "path": "a file system path read, written, listed or removed",
    "shell-command": "a command line run by a shell",
    "sql": "the text of an SQL statement",
    "template": "the text of a template compiled and rendered",
    "url": "a URL requested by the server (its scheme and host)",
}

# What makes a value dangerous in a sink, by the sanitizer kind that protects it: a value that
# validation restricted so that it cannot hold any of these characters (`DANGEROUS_CHARACTERS`),
# cannot start with one of `DANGEROUS_FIRST`, and cannot be one of `DANGEROUS_VALUES` is safe
# there (taint.py reads regular-expression guards, `re.sub` and `str.is*` checks this way).
DANGEROUS_CHARACTERS: dict[str, str] = {
    "sql": "'\"`;\\()/*#- \t\r\n",  # quotes, statement and comment starts, whitespace (`t WHERE 1=1`)
    "shell": ";&|$`(){}<>*?[]!~'\"\\# \t\r\n",
    "path": "/\\\x00",
    "html": "<>&\"'",
    # what code around a name needs: quotes, calls, statements, operators, whitespace
    "code": "'\"`;()[]{}=:,+*/%<>!~^&|@#\\ \t\r\n",
}
DANGEROUS_FIRST: dict[str, str] = {"option": "-", "attribute": "_"}
DANGEROUS_VALUES: dict[str, tuple[str, ...]] = {"path": ("..", ".")}


def restricted_kinds(allows, starts, matches) -> frozenset[str]:
    """The sanitizer kinds a restriction of a value's text earns: `allows(c)` can it hold
    character c, `starts(c)` can it start with c, `matches(text)` can it be that text."""
    out = set()
    for kind, chars in DANGEROUS_CHARACTERS.items():
        if not any(allows(c) for c in chars) and not any(matches(v) for v in DANGEROUS_VALUES.get(kind, ())):
            out.add(kind)
    for kind, chars in DANGEROUS_FIRST.items():
        if not any(starts(c) for c in chars):
            out.add(kind)
    return frozenset(out)


def _empty() -> Mapping:
    return MappingProxyType({})


def _proxy(mapping: Mapping) -> Mapping:
    return mapping if isinstance(mapping, MappingProxyType) else MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Knowledge:
    """Library facts, merged from every knowledge source of a run (see the module docstring).

    Qualified names are matched after a file's imports are resolved (`from shlex import quote
    as q` ... `q(x)` is `shlex.quote`); methods on typed receivers are `Type.method` with the
    types of `returns`; "methods" without a receiver type match that attribute name on any
    receiver (and a plain function of that name that the file does not import)."""

    safe_calls: frozenset[str] = frozenset()  # result carries nothing of the arguments
    safe_methods: frozenset[str] = frozenset()  # `.hexdigest()` on any receiver
    propagators: frozenset[str] = frozenset()  # result is made of the arguments, nothing else
    sanitizers: Mapping[str, frozenset[str]] = field(default_factory=_empty)  # qualified call -> kinds it protects
    sanitizer_methods: Mapping[str, frozenset[str]] = field(default_factory=_empty)  # method name -> kinds
    # `sql.SQL(<constant>).format(x)`: the arguments of `.format()` / `.join()` on the object
    # these calls build are sanitised (the call's own argument is not).
    composers: Mapping[str, frozenset[str]] = field(default_factory=_empty)
    decoders: frozenset[str] = frozenset()  # `json.loads(text)`: structure decoded from text (not plain text)
    validators: frozenset[str] = frozenset()  # calls validating their first argument (kind "model")
    validate_methods: frozenset[str] = frozenset()  # `Model.model_validate(x)`
    responses: frozenset[str] = frozenset()  # calls whose result is a remote server's answer
    response_methods: frozenset[str] = frozenset()  # ... the method names among them
    thread_dispatch: frozenset[str] = frozenset()  # `asyncio.to_thread(fn, *args)` runs fn(*args)
    # Calls that keep the items of what they are given, reordered or regrouped (`sorted(d)`: the keys)
    ordering_calls: frozenset[str] = frozenset()
    path_types: frozenset[str] = frozenset()  # constructors of path objects (`pathlib.Path(x)`)
    path_normalisers: frozenset[str] = frozenset()  # their result has no `..` left (`os.path.realpath`)
    path_wrappers: frozenset[str] = frozenset()  # keep a path as it is, in another type (`os.fspath`)
    # HTTP requests a server receives: their types, and the attributes and methods that hold
    # what the client sent (untrusted input, like a tool's arguments)
    request_types: frozenset[str] = frozenset()
    request_attributes: frozenset[str] = frozenset()
    request_methods: frozenset[str] = frozenset()
    returns: Mapping[str, str] = field(default_factory=_empty)  # callable -> type of its result
    aliases: Mapping[str, str] = field(default_factory=_empty)  # spelling of a type -> canonical type
    sinks: tuple[Mapping[str, Any], ...] = ()  # tainted-call sink specs, each with a `kind`
    blocking: tuple[Mapping[str, Any], ...] = ()  # call-check entries: blocks an event loop
    timeouts: tuple[Mapping[str, Any], ...] = ()  # call-check entries: no timeout by default
    libraries: tuple[str, ...] = ()  # the libraries described, for `mcp-lint knowledge`
    sources: tuple[str, ...] = ()  # the files it was read from

    def merged(self, other: Knowledge) -> Knowledge:
        """Both: sets and lists joined, mappings joined (kinds of one sanitizer added up; for
        a type, `other` wins)."""
        values: dict[str, Any] = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, frozenset):
                values[f.name] = a | b
            elif isinstance(a, tuple):
                values[f.name] = a + tuple(x for x in b if x not in a)
            elif f.name in ("sanitizers", "sanitizer_methods", "composers"):
                joined = dict(a)
                for key, kinds in b.items():
                    joined[key] = joined.get(key, frozenset()) | kinds
                values[f.name] = MappingProxyType(joined)
            else:
                values[f.name] = MappingProxyType({**a, **b})
        return Knowledge(**values)

    def sinks_of(self, kinds: Iterable[str]) -> tuple[Mapping[str, Any], ...]:
        wanted = frozenset(kinds)
        return tuple(s for s in self.sinks if s.get("kind") in wanted)

    def canonical(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.aliases.get(name, name)

    @cached_property
    def types(self) -> frozenset[str]:
        """Every type `returns` can produce (a parameter annotated with one is that type)."""
        return frozenset(self.returns.values()) | frozenset(self.aliases.values())


def build(safe_calls: Iterable[str] = (), safe_methods: Iterable[str] = (), propagators: Iterable[str] = (),
          sanitizers: Mapping[str, Iterable[str]] | None = None,
          sanitizer_methods: Mapping[str, Iterable[str]] | None = None,
          composers: Mapping[str, Iterable[str]] | None = None, decoders: Iterable[str] = (),
          validators: Iterable[str] = (), request_types: Iterable[str] = (),
          request_attributes: Iterable[str] = (), request_methods: Iterable[str] = (),
          validate_methods: Iterable[str] = (), responses: Iterable[str] = (), thread_dispatch: Iterable[str] = (),
          ordering_calls: Iterable[str] = (), path_types: Iterable[str] = (), path_normalisers: Iterable[str] = (),
          path_wrappers: Iterable[str] = (),
          returns: Mapping[str, str] | None = None, aliases: Mapping[str, str] | None = None,
          sinks: Iterable[Mapping[str, Any]] = (), blocking: Iterable[Mapping[str, Any]] = (),
          timeouts: Iterable[Mapping[str, Any]] = (), libraries: Iterable[str] = (),
          sources: Iterable[str] = ()) -> Knowledge:
    """A `Knowledge` from plain values (the loader's and tests' constructor)."""
    responses = frozenset(responses)
    return Knowledge(
        safe_calls=frozenset(safe_calls), safe_methods=frozenset(safe_methods), propagators=frozenset(propagators),
        sanitizers=_kinds(sanitizers), sanitizer_methods=_kinds(sanitizer_methods), composers=_kinds(composers),
        decoders=frozenset(decoders), validators=frozenset(validators), validate_methods=frozenset(validate_methods), responses=responses,
        response_methods=frozenset(r.rsplit(".", 1)[-1] for r in responses),
        thread_dispatch=frozenset(thread_dispatch), ordering_calls=frozenset(ordering_calls),
        path_types=frozenset(path_types), path_normalisers=frozenset(path_normalisers),
        path_wrappers=frozenset(path_wrappers), request_types=frozenset(request_types),
        request_attributes=frozenset(request_attributes), request_methods=frozenset(request_methods),
        returns=_proxy(returns or {}), aliases=_proxy(aliases or {}),
        sinks=tuple(_proxy(s) for s in sinks), blocking=tuple(_proxy(b) for b in blocking),
        timeouts=tuple(_proxy(t) for t in timeouts), libraries=tuple(libraries), sources=tuple(sources),
    )


def _kinds(mapping: Mapping[str, Iterable[str]] | None) -> Mapping[str, frozenset[str]]:
    return MappingProxyType({k: frozenset(v) for k, v in (mapping or {}).items()})


EMPTY = Knowledge()
