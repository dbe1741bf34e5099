"""What one module tells the rest of the project: a cheap pass over each file of the project, with
the standard library's parser, before the files are linted.

A tool is often defined in one module and registered in another (`mcp.add_tool(search)` with
`search` imported, `register_tools(mcp)` called with the server, a project decorator that wraps
`mcp.tool`, a low-level `call_tool` dispatcher that calls handlers of other modules). The file
that defines the tool cannot see that alone, so each file's facts (plain data, cached by the
file's content) are joined by `project.index` into the context each file is then linted with.

Only what crosses a module boundary is recorded here: everything about a single file is the
libcst server model's (analysis/mcp_model.py), which also recognises the local forms.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field

from mcp_lint.analysis import sdk

_REGISTER_METHODS = {"add_tool": "tool", "add_resource": "resource", "add_template": "resource",
                     "add_prompt": "prompt"}
_DECORATORS = sdk.DECORATOR_KINDS  # tool / resource / prompt
_TOOL_OBJECTS = frozenset({"Tool", "FunctionTool", "FunctionResource", "ResourceTemplate", "Prompt",
                           "FunctionPrompt"})
_DISPATCH_NAMES = frozenset({"call_tool", "handle_call_tool", "handle_tool_call", "on_call_tool"})


@dataclass
class ModuleFacts:
    """Plain data (it is cached as JSON): names are local to the module unless qualified."""

    aliases: dict = field(default_factory=dict)  # local name -> qualified name (relative: leading dots)
    servers: dict = field(default_factory=dict)  # module-level name -> [flavour, constructor]
    server_classes: dict = field(default_factory=dict)  # class name -> [flavour, base]
    # Callables of other modules registered here: [qualified target, kind, flavour]
    registrations: list = field(default_factory=list)
    # Functions that register handlers on one of their parameters: [function qualname, param, kind]
    server_params: list = field(default_factory=list)
    # Calls that hand a server to a function: [qualified callee, argument position or keyword, flavour]
    server_passes: list = field(default_factory=list)
    # Decorators defined here that register what they decorate: [function qualname, kind, flavour]
    wrappers: list = field(default_factory=list)
    # Functions (local qualname or qualified import) that are decorated with a wrapper: [decorator
    # qualified name, function qualname]
    wrapped: list = field(default_factory=list)
    # Functions of other modules a low-level dispatcher hands the tool's arguments to: [qualified]
    dispatched: list = field(default_factory=list)
    sdk_flavour: str = ""  # the SDK the module imports, when it imports exactly one
    signatures: dict = field(default_factory=dict)  # function qualname -> parameter names, for server_params
    defined: list = field(default_factory=list)  # names the module itself binds at top level
    functions: list = field(default_factory=list)  # its module-level functions
    classes: dict = field(default_factory=dict)  # its module-level classes -> their methods

    def to_plain(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_plain(cls, data: dict) -> ModuleFacts:
        facts = cls()
        for key in cls.__dataclass_fields__:
            value = data[key]
            if not isinstance(value, type(getattr(facts, key))):
                raise ValueError(f"{key}: unexpected {type(value).__name__}")
            setattr(facts, key, value)
        return facts


def scan(text: str) -> ModuleFacts | None:
    """The facts of one module's source (None when it does not parse: MCP001 will say so)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return _Scanner(tree).facts


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Scanner:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.facts = ModuleFacts()
        self.defined: set[str] = set()  # module-level functions and classes
        self.collect_imports()
        self.collect_definitions()
        self.collect_servers()
        self.collect_registrations()

    # -- names -----------------------------------------------------------------------------
    def collect_imports(self) -> None:
        aliases = self.facts.aliases
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        aliases.setdefault(a.name.split(".")[0], a.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                for a in node.names:
                    if a.name == "*":
                        continue
                    joined = f"{module}.{a.name}" if module and not module.endswith(".") else module + a.name
                    aliases.setdefault(a.asname or a.name, joined)
        roots = {q.lstrip(".").split(".")[0] for q in aliases.values()}
        flavours = set()
        for qual in aliases.values():
            if qual.startswith("fastmcp"):
                flavours.add(sdk.FASTMCP)
            elif qual.startswith("mcp.server.fastmcp"):
                flavours.add(sdk.MCP1)
            elif qual.startswith("mcp.server.mcpserver"):
                flavours.add(sdk.MCP2)
        if len(flavours) == 1 and ("mcp" in roots or "fastmcp" in roots):
            self.facts.sdk_flavour = flavours.pop()

    def resolve(self, node: ast.AST) -> str | None:
        name = _dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        target = self.facts.aliases.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def collect_definitions(self) -> None:
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defined.add(node.name)
            else:
                self.defined.update(_assignment(node)[0])
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.facts.functions.append(node.name)
            elif isinstance(node, ast.ClassDef):
                self.facts.classes[node.name] = [n.name for n in node.body
                                                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        self.facts.defined = sorted(self.defined)

    # -- servers ---------------------------------------------------------------------------
    def server_ctor(self, call: ast.AST) -> tuple[str, str] | None:
        if not isinstance(call, ast.Call):
            return None
        qual = self.resolve(call.func)
        if qual in sdk.SERVER_CONSTRUCTORS:
            return sdk.SERVER_CONSTRUCTORS[qual], qual
        local = _dotted(call.func)
        if local in self.facts.server_classes:
            flavour, base = self.facts.server_classes[local]
            return flavour, base
        return None

    def collect_servers(self) -> None:
        changed = True
        while changed:  # server subclasses, also of each other
            changed = False
            for node in self.tree.body:
                if isinstance(node, ast.ClassDef) and node.name not in self.facts.server_classes:
                    for base in node.bases:
                        qual = self.resolve(base)
                        hit = sdk.SERVER_CLASSES.get(qual or "")
                        local = _dotted(base)
                        if hit:
                            self.facts.server_classes[node.name] = [hit, qual]
                        elif local in self.facts.server_classes:
                            self.facts.server_classes[node.name] = list(self.facts.server_classes[local])
                        else:
                            continue
                        changed = True
                        break
        for node in self.tree.body:
            targets, value = _assignment(node)
            found = self.server_ctor(value)
            if found is not None:
                for t in targets:
                    self.facts.servers[t] = list(found)

    def server_flavour(self, node: ast.AST, params: set[str] = frozenset()) -> str | None:
        """The flavour of the server `node` denotes: a module-level server of this file, one imported
        from another module ("?" until the project join), or a parameter used as one."""
        name = _dotted(node)
        if name is None:
            found = self.server_ctor(node)
            return found[0] if found else None
        if name in self.facts.servers:
            return self.facts.servers[name][0]
        head = name.split(".")[0]
        if name in params and name not in ("self", "cls"):
            return "param"
        if head in self.facts.aliases and not (self.resolve(node) or "").startswith(("mcp.", "fastmcp.")):
            return "?"  # imported: the join decides
        return None

    # -- registrations -----------------------------------------------------------------------
    def collect_registrations(self) -> None:
        self.unit("", _module_nodes(self.tree), set())
        for qualname, fn in _functions(self.tree):
            params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
            if fn.args.vararg:
                params.add(fn.args.vararg.arg)
            before = len(self.facts.server_params)
            self.unit(qualname, list(_own_nodes(fn)), params)
            if len(self.facts.server_params) > before:
                self.facts.signatures[qualname] = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args,
                                                                     *fn.args.kwonlyargs)]
            if fn.name in _DISPATCH_NAMES or any(_is_dispatcher_decorator(d) for d in fn.decorator_list):
                self.dispatcher(fn)
            self.wrapped_by(fn, qualname)

    def unit(self, qualname: str, nodes: list[ast.AST], params: set[str]) -> None:
        """One function's code (nested functions included), or the module's own statements."""
        # A parameter used as a server: `def register(mcp): @mcp.tool() def f(...)` (any depth).
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for dec in node.decorator_list:
                    target = dec.func if isinstance(dec, ast.Call) else dec
                    if isinstance(target, ast.Attribute) and target.attr in _DECORATORS and \
                            _dotted(target.value) in params - {"self", "cls"}:
                        self.facts.server_params.append([qualname, _dotted(target.value), _DECORATORS[target.attr]])
            if not isinstance(node, ast.Call):
                continue
            registered = self.registration(node, params)
            if registered is None:
                continue
            kind, flavour, value = registered
            if flavour == "param":
                receiver = _receiver(node)
                if receiver is not None:
                    self.facts.server_params.append([qualname, receiver, kind])
                flavour = ""
            target = _dotted(value)
            head = target.split(".")[0] if target is not None else None
            if qualname and head not in (None, "self", "cls") and (head in params or
                                                    head in _inner_params(nodes)):
                # what is registered is a parameter: this function is a registering decorator
                self.facts.wrappers.append([qualname, kind, flavour])
                continue
            qual = self.resolve(value)
            if qual is not None and target is not None and target.split(".")[0] not in self.defined:
                self.facts.registrations.append([qual, kind, flavour])
        for node in nodes:
            if isinstance(node, ast.Call):
                self.server_pass(node, set())

    def registration(self, call: ast.Call, params: set[str]) -> tuple[str, str, ast.AST] | None:
        """(kind, server flavour, registered value) when `call` registers a callable on a server."""
        func = call.func
        # S.tool(...)(fn): a decorator applied by hand
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and func.func.attr in _DECORATORS \
                and call.args:
            flavour = self.server_flavour(func.func.value, params)
            if flavour is not None:
                return _DECORATORS[func.func.attr], flavour, call.args[0]
        if isinstance(func, ast.Attribute):
            method = func.attr
            value = call.args[0] if call.args else _keyword(call, "fn", "func", "function")
            if value is None:
                return None
            if method == "from_function" and (_dotted(func.value) or "").rsplit(".", 1)[-1] in _TOOL_OBJECTS:
                kind = "resource" if "Resource" in (_dotted(func.value) or "") else \
                    "prompt" if "Prompt" in (_dotted(func.value) or "") else "tool"
                return kind, self.sdk_of(func.value), value
            flavour = self.server_flavour(func.value, params)
            if flavour is None:
                return None
            if method in _REGISTER_METHODS:
                return _REGISTER_METHODS[method], flavour, value
            if method == "tool" and call.args and not isinstance(call.args[0], ast.Constant):
                return "tool", flavour, value  # fastmcp: S.tool(fn, name=...)
        if isinstance(func, ast.Name) and func.id in _TOOL_OBJECTS:  # FunctionTool(fn=...)
            value = _keyword(call, "fn", "func", "function")
            if value is not None:
                return "tool", self.sdk_of(func), value
        return None

    def sdk_of(self, node: ast.AST) -> str:
        qual = self.resolve(node) or ""
        if qual.startswith("fastmcp"):
            return sdk.FASTMCP
        if qual.startswith("mcp.server.fastmcp"):
            return sdk.MCP1
        if qual.startswith("mcp.server.mcpserver"):
            return sdk.MCP2
        return self.facts.sdk_flavour

    def server_pass(self, call: ast.Call, params: set[str]) -> None:
        """`register_tools(mcp)`, `Tools(client).register(mcp)`: a server handed to a function."""
        callee = self.resolve(call.func) if not isinstance(call.func, ast.Attribute) or \
            _dotted(call.func) else None
        if callee is None:
            local = _dotted(call.func)
            if local is None:
                inner = call.func
                if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Call):
                    # SomeClass(...).register(mcp)
                    cls = self.resolve(inner.value.func) or _dotted(inner.value.func)
                    callee = f"{cls}.{inner.attr}" if cls else None
            elif local.split(".")[0] in self.defined:
                callee = local
        if callee is None or callee.startswith(("mcp.", "fastmcp.")):
            return
        for i, arg in enumerate(call.args):
            flavour = self.server_flavour(arg)
            if flavour not in (None, "param"):
                self.facts.server_passes.append([callee, i, flavour if flavour != "?" else
                                                 "?" + (self.resolve(arg) or "")])
        for kw in call.keywords:
            if kw.arg is None:
                continue
            flavour = self.server_flavour(kw.value)
            if flavour not in (None, "param"):
                self.facts.server_passes.append([callee, kw.arg, flavour if flavour != "?" else
                                                 "?" + (self.resolve(kw.value) or "")])

    def dispatcher(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A low-level `call_tool(name, arguments)`: calls that pass the arguments to functions of
        other modules make those functions tool bodies."""
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
        raw = {p for p in params if p in ("arguments", "args", "params", "tool_args", "tool_input")} or \
            set(params[1:2])
        tables = _module_tables(self.tree)
        for node in _own_nodes(fn):
            if not isinstance(node, ast.Call):
                continue
            if not any(_mentions(a, raw) for a in [*node.args, *(k.value for k in node.keywords)]):
                continue
            func = node.func
            if isinstance(func, ast.Subscript) and _dotted(func.value) in tables:  # HANDLERS[name](arguments)
                for target in tables[_dotted(func.value)]:
                    self.dispatch_target(target)
                continue
            self.dispatch_target(func)
        for node in _own_nodes(fn):  # handler = HANDLERS.get(name); handler(arguments)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and \
                    _dotted(node.func.value) in tables:
                for target in tables[_dotted(node.func.value)]:
                    self.dispatch_target(target)

    def dispatch_target(self, func: ast.AST) -> None:
        name = _dotted(func)
        if name is None or name.split(".")[0] in self.defined:
            return
        qual = self.resolve(func)
        if qual is not None and not qual.startswith(("mcp.", "fastmcp.", "builtins.")) and \
                qual.split(".")[0] not in _STDLIB_HINTS:
            self.facts.dispatched.append(qual)

    def wrapped_by(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str) -> None:
        for dec in fn.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            name = _dotted(target)
            if name is None:
                continue
            qual = self.resolve(target) or (name if name.split(".")[0] in self.defined else None)
            if qual is not None and not qual.startswith(("mcp.", "fastmcp.", "functools.", "typing.", "abc.")):
                self.facts.wrapped.append([qual, qualname])


_STDLIB_HINTS = frozenset({"json", "asyncio", "os", "sys", "re", "logging", "typing", "functools", "inspect"})


def _assignment(node: ast.AST) -> tuple[list[str], ast.AST | None]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)], node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id], node.value
    return [], None


def _keyword(call: ast.Call, *names: str) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


def _receiver(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Call):
        func = func.func
    return _dotted(func.value) if isinstance(func, ast.Attribute) and _dotted(func.value) else None


def _is_dispatcher_decorator(dec: ast.AST) -> bool:
    target = dec.func if isinstance(dec, ast.Call) else dec
    return isinstance(target, ast.Attribute) and target.attr == "call_tool"


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _module_tables(tree: ast.Module) -> dict[str, list[ast.AST]]:
    """Module-level dicts whose values are callables: `HANDLERS = {"search": search, ...}`."""
    out: dict[str, list[ast.AST]] = {}
    for node in tree.body:
        targets, value = _assignment(node)
        if isinstance(value, ast.Dict) and value.values and all(
                isinstance(v, (ast.Name, ast.Attribute)) for v in value.values):
            for t in targets:
                out[t] = list(value.values)
    return out


def _functions(tree: ast.Module):
    """(qualname, node) for module-level functions and the methods of module-level classes
    (nested classes too); functions nested in functions belong to their enclosing function."""
    stack: list[tuple[str, ast.AST]] = [("", n) for n in reversed(tree.body)]
    while stack:
        scope, node = stack.pop()
        if isinstance(node, ast.ClassDef):  # methods are named Class.method, as module_index names them
            stack.extend((node.name, n) for n in reversed(node.body))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield (f"{scope}.{node.name}" if scope else node.name), node


def _module_nodes(tree: ast.Module) -> list[ast.AST]:
    """The module's own statements and their expressions, without function and class bodies."""
    out: list[ast.AST] = []
    stack = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stack.extend(reversed(node.decorator_list))
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _inner_params(nodes: list[ast.AST]) -> set[str]:
    """Parameters of the functions nested in a function (a decorator's inner `def deco(fn)`)."""
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            out.update(a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs))
    return out


def _own_nodes(fn: ast.AST):
    """The nodes of a function's body, nested functions' bodies included, classes excluded."""
    stack = list(reversed(fn.body)) if hasattr(fn, "body") else []
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.ClassDef):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
