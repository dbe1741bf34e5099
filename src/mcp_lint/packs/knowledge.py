"""Knowledge files: YAML descriptions of libraries -> one validated `Knowledge` (model/knowledge.py).

The built-in files live beside the rule packs (`rules/knowledge/*.yaml`, shipped in the wheel);
a rule pack may add a `knowledge:` section, and a project may list its own files under
`knowledge-files` in `[tool.mcp-lint]`. All are read as packs are (packs/loader.py): a regular
file under the size limit, the safe YAML reader with its limits (packs/yaml.py), and a strict
schema (model/schema.py): an unknown key, a kind that is not one of the known sink or sanitizer
kinds, a call pattern that is not one, a wrong type: every problem is reported with `file:line`,
with the allowed values listed. A validated file is kept as JSON in the compiled-pack cache, so a
run that finds it there reads no YAML.

A file:

    knowledge: our-libraries
    description: What our company's helpers do.
    libraries:
      - library: ourlib
        sanitizers:
          - call: [ourlib.paths.safe_join]
            protects: [path]
        sinks:
          - kind: sql
            call: [ourdb.run_sql]
            argument: 0
            keyword: query
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from mcp_lint.model.knowledge import EMPTY, SANITIZER_KINDS, SINK_KINDS, Knowledge, build
from mcp_lint.model.rules import RULE_NAME
from mcp_lint.model.schema import Field, Key, List, Map, SchemaError, Str, Where, all_errors, raise_all

_NAME = Str(pattern=r"[A-Za-z_][\w.]*")  # a qualified name: `shlex.quote`, `sqlite3.Cursor.execute`
_METHOD = Str(pattern=r"[A-Za-z_]\w*")
_NAMES = List(_NAME, min_items=1, single_ok=True)


def _sink_fields() -> Map:
    from mcp_lint.check.primitives.taint_sinks import TAINT_SINK  # the shape tainted-call reads

    keys = dict(TAINT_SINK.keys)
    keys["kind"] = Key(Str(choices=tuple(SINK_KINDS)), required=True)
    keys["note"] = Key(Str(), default="")
    return Map(keys)


def _one_sanitizer_form(entry: dict, where: Where) -> None:
    forms = [k for k in ("call", "method", "composer") if entry.get(k)]
    if len(forms) != 1:
        raise where.error("give exactly one of 'call' (qualified names), 'method' (a method name on any "
                          "receiver) or 'composer' (calls whose `.format()` / `.join()` arguments are sanitised)")


_KINDS = List(Str(choices=tuple(SANITIZER_KINDS)), min_items=1, single_ok=True)
_SANITIZER = Map({
    "call": Key(_NAMES, default=()),
    "method": Key(List(_METHOD, min_items=1, single_ok=True), default=()),
    "composer": Key(_NAMES, default=()),
    "protects": Key(_KINDS, required=True),
    "note": Key(Str(), default=""),
}, check=_one_sanitizer_form)


def _call_entry() -> Map:
    from mcp_lint.check.primitives.calls import _CALL  # the shape call-check reads

    keys = dict(_CALL.keys)
    keys["before"] = Key(Map({
        "package": Key(Str(pattern=r"[A-Za-z0-9][A-Za-z0-9._-]*"), required=True),
        "version": Key(Str(pattern=r"\d+(\.\d+)*"), required=True),
    }))
    keys["note"] = Key(Str(), default="")
    return Map(keys)


class _Mapping(Field):
    """name -> name."""

    def validate(self, value: Any, where: Where) -> dict:
        return Map({}, extra=_NAME).validate(value, where)


@functools.lru_cache(maxsize=1)
def library_schema() -> Map:
    return Map({
        "library": Key(Str(), required=True),
        "description": Key(Str(), default=""),
        "references": Key(List(Str()), default=()),
        "types": Key(Map({"returns": Key(_Mapping(), default={}), "aliases": Key(_Mapping(), default={})}),
                     default={"returns": {}, "aliases": {}}),
        "sinks": Key(List(_sink_fields()), default=()),
        "sanitizers": Key(List(_SANITIZER), default=()),
        "propagators": Key(_NAMES, default=()),
        "safe-calls": Key(_NAMES, default=()),
        "safe-methods": Key(List(_METHOD, min_items=1, single_ok=True), default=()),
        "decoders": Key(_NAMES, default=()),
        "validators": Key(_NAMES, default=()),
        "validate-methods": Key(List(_METHOD, min_items=1, single_ok=True), default=()),
        "responses": Key(_NAMES, default=()),
        "thread-dispatch": Key(_NAMES, default=()),
        "ordering-calls": Key(_NAMES, default=()),
        "path-types": Key(_NAMES, default=()),
        "path-normalisers": Key(_NAMES, default=()),
        "path-wrappers": Key(_NAMES, default=()),
        "requests": Key(Map({
            "types": Key(_NAMES, required=True),
            "attributes": Key(List(_METHOD), default=()),
            "methods": Key(List(_METHOD), default=()),
        })),
        "blocking": Key(List(_call_entry()), default=()),
        "timeouts": Key(List(_call_entry()), default=()),
    })


LIBRARIES = "a list of libraries, each a mapping with a 'library' key"


def knowledge_from(raw: Any, where: Where, source: str) -> Knowledge:
    """Validate a list of library entries (a knowledge file's `libraries:`, a pack's
    `knowledge:`) into a `Knowledge`; a SchemaError (all problems) otherwise."""
    libraries = List(library_schema()).validate(raw, where)
    return _build(libraries, source)


def _build(libraries: tuple[dict, ...], source: str) -> Knowledge:
    out: dict[str, Any] = {k: [] for k in ("safe_calls", "safe_methods", "propagators", "decoders", "validators",
                                           "validate_methods", "responses", "thread_dispatch", "sinks",
                                           "blocking", "timeouts", "libraries", "request_types",
                                           "request_attributes", "request_methods", "ordering_calls",
                                           "path_types", "path_normalisers", "path_wrappers")}
    sanitizers: dict[str, set[str]] = {}
    methods: dict[str, set[str]] = {}
    composers: dict[str, set[str]] = {}
    returns: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for lib in libraries:
        out["libraries"].append(lib["library"])
        returns.update(lib["types"]["returns"])
        aliases.update(lib["types"]["aliases"])
        for key, name in (("safe-calls", "safe_calls"), ("safe-methods", "safe_methods"),
                          ("propagators", "propagators"), ("decoders", "decoders"), ("validators", "validators"),
                          ("validate-methods", "validate_methods"), ("responses", "responses"),
                          ("thread-dispatch", "thread_dispatch"), ("ordering-calls", "ordering_calls"),
                          ("path-types", "path_types"), ("path-normalisers", "path_normalisers"),
                          ("path-wrappers", "path_wrappers")):
            out[name].extend(lib[key])
        if lib["requests"] is not None:
            out["request_types"].extend(lib["requests"]["types"])
            out["request_attributes"].extend(lib["requests"]["attributes"])
            out["request_methods"].extend(lib["requests"]["methods"])
        for s in lib["sanitizers"]:
            for table, names in ((sanitizers, s["call"]), (methods, s["method"]), (composers, s["composer"])):
                for n in names:
                    table.setdefault(n, set()).update(s["protects"])
        out["sinks"].extend({k: v for k, v in s.items() if k != "note"} for s in lib["sinks"])
        out["blocking"].extend({k: v for k, v in b.items() if k != "note"} for b in lib["blocking"])
        out["timeouts"].extend({k: v for k, v in t.items() if k != "note"} for t in lib["timeouts"])
    return build(sanitizers=sanitizers, sanitizer_methods=methods, composers=composers, returns=returns,
                 aliases=aliases, sources=(source,), **out)


class _PassThrough(Field):
    """Keeps a value for the second validation step (`knowledge_from`)."""

    def validate(self, value: Any, where: Where) -> Any:
        return value


_FILE = Map({
    "knowledge": Key(Str(pattern=RULE_NAME), required=True),
    "description": Key(Str(), required=True),
    "libraries": Key(List(_PassThrough(), min_items=1), required=True),
})


def knowledge_document(raw: Any, shown: str) -> Knowledge:
    """A knowledge file's parsed YAML -> `Knowledge`; a SchemaError holding every problem otherwise
    (packs/loader.py `load_knowledge` reads the file)."""
    errors: list[SchemaError] = []
    knowledge = EMPTY
    try:
        _FILE.validate(raw, Where(line=getattr(raw, "line", None)))
    except SchemaError as exc:
        errors += all_errors(exc)
    libraries = raw.get("libraries") if isinstance(raw, dict) else None
    if isinstance(libraries, list):
        try:
            knowledge = knowledge_from(libraries, Where("libraries", getattr(libraries, "line", None)), shown)
        except SchemaError as exc:
            errors += all_errors(exc)
    raise_all(errors)
    return knowledge


def verify_knowledge(value: Any) -> bool:
    """Is a knowledge object read back from the compiled cache of the expected shape?"""
    if not isinstance(value, Knowledge):
        return False
    return all(isinstance(s, Mapping) for s in value.sinks + value.blocking + value.timeouts)


def knowledge_classes() -> dict[str, type]:
    return {"Knowledge": Knowledge}
