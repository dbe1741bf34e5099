"""Identifiers as Python reads them.

Python normalises every identifier with NFKC when it parses a file (PEP 3131), so
`ｅｖａｌ(q)` calls `eval` and `ｏｓ.system` is `os.system`; libcst keeps the spelling of the
source. So that every comparison of names (imports, calls, bindings, keywords) sees what
Python sees, the names of a parsed module are normalised once, in place, before anything
reads them: only files with an identifier that NFKC changes pay for it (a regular
expression over the source finds none in almost every file).

The original spellings are kept (`original_names`), so positions, which are measured on
the source text, stay exact (see `positions`).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

import libcst as cst

from mcp_lint.analysis.fields import SKIP_FIELDS, is_node

# Words holding a non-ASCII character: only those can change under NFKC.
_NON_ASCII_WORD = re.compile(r"\w*[^\x00-\x7f]\w*")
# Layout fields hold no names; names that are not reads (attributes, keywords, annotations) do.
_LAYOUT = SKIP_FIELDS - {"attr", "keyword", "annotation", "returns", "type_parameters"}
_FIELDS: dict[type, tuple[str, ...]] = {}
# id(module) -> (module, {name: spelling}) for the last few modules rewritten (libcst nodes
# take no weak references; a module is asked about right after it is analysed).
_ORIGINAL: dict[int, tuple[cst.Module, dict[cst.Name, str]]] = {}
_KEEP = 4


def normalize_names(module: cst.Module, source: str) -> None:
    """Rewrite, in place, every `Name` of `module` whose spelling NFKC changes."""
    if source.isascii() or not any(unicodedata.normalize("NFKC", w) != w
                                   for w in _NON_ASCII_WORD.findall(source)):
        return
    original: dict[cst.Name, str] = {}
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        tp = type(node)
        if tp is cst.Name:
            value = node.value
            if not value.isascii():
                normal = unicodedata.normalize("NFKC", value)
                if normal != value:
                    original[node] = value
                    object.__setattr__(node, "value", normal)  # libcst nodes are frozen dataclasses
            continue
        names = _FIELDS.get(tp)
        if names is None:
            names = _FIELDS[tp] = tuple(f.name for f in dataclasses.fields(tp) if f.name not in _LAYOUT)
        for name in names:
            value = getattr(node, name, None)
            vt = type(value)
            if vt is tuple or vt is list:
                stack.extend(child for child in value if is_node(type(child)))
            elif is_node(vt):
                stack.append(value)
    if original:
        while len(_ORIGINAL) >= _KEEP:
            del _ORIGINAL[next(iter(_ORIGINAL))]
        _ORIGINAL[id(module)] = (module, original)


def original_names(module: cst.Module) -> dict[cst.Name, str]:
    """The Names `normalize_names` rewrote, with their spelling in the source."""
    kept = _ORIGINAL.get(id(module))
    return kept[1] if kept is not None and kept[0] is module else {}
