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
import re
from dataclasses import dataclass, field

from mcp_lint.analysis import sdk
from mcp_lint.project.functions import dotted as _dotted, scan_functions
from mcp_lint.project.syntax import children, walk
from mcp_lint.source.guard import Check, parse

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
    # Of those, the ones whose dispatcher examines the result and raises on an error payload
    # (`if is_error(result): raise ...`): what they return as an error reaches the client as one
    checked_results: list = field(default_factory=list)
    sdk_flavour: str = ""  # the SDK the module imports, when it imports exactly one
    signatures: dict = field(default_factory=dict)  # function qualname -> parameter names, for server_params
    defined: list = field(default_factory=list)  # names the module itself binds at top level
    # Module-level classes that look like exceptions (the name or a base ends in Error/Exception):
    # class name -> its bases (qualified through the imports, else as written)
    exception_classes: dict = field(default_factory=dict)
    # Classes constructed, inside an `except ... as e` body, with the caught exception's text among
    # their arguments (`raise DBError(f"query failed: {e}")`): [callee, [caught classes]], names
    # qualified through the imports or as written ("BaseException" for a bare `except:`)
    wraps_caught: list = field(default_factory=list)
    functions: list = field(default_factory=list)  # its module-level functions
    classes: dict = field(default_factory=dict)  # its module-level classes -> their methods
    # Where stdout matters: servers this module runs over stdio, as server references (a
    # module-level name, "=" + a qualified import, "param:UNIT:NAME" for a parameter, "" unknown)
    stdio_runs: list = field(default_factory=list)
    # Handlers defined here: [unit qualname, server reference]; a unit is a module-level function
    # or a method (a handler nested in a function belongs to that function)
    handler_units: list = field(default_factory=list)
    # Imported callables registered here as handlers: [qualified target, server reference]
    handler_imports: list = field(default_factory=list)
    # Calls that hand a server to a function, by reference: [qualified callee, position or keyword, reference]
    server_pass_refs: list = field(default_factory=list)
    # What each unit refers to: unit qualname -> ["NAME" (a def or class of this module),
    # "Class.method" (a method an attribute name may call), "=QUALIFIED" (an import)]
    unit_refs: dict = field(default_factory=dict)
    units: list = field(default_factory=list)  # every module-level function and method (qualnames)
    # Per function: qualname -> [flags, awaited-call descriptors] (project/functions.py)
    function_facts: dict = field(default_factory=dict)
    class_bases: dict = field(default_factory=dict)  # class name -> its bases as written
    instances: dict = field(default_factory=dict)  # module-level name -> the callee that made it, as written
    imports: list = field(default_factory=list)  # every module the file imports (relative: leading dots)
    # The module serves: it creates a server, registers or dispatches handlers, or defines handlers
    # with a server's decorators. The server path starts at these modules (project/index.py).
    serves: bool = False
    # Receivers of `X.run(...)`-like calls on imported names: [qualified]; a module that starts a
    # server of another module is start-up code, on the server path too.
    runs: list = field(default_factory=list)

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
    """The facts of one module's source. A module this Python's parser refuses (newer syntax,
    or an error MCP001 will report) still names what it imports, read line by line, and counts
    as serving: the server path must not end at a module nobody could read."""
    return scan_checked(text)[0]


def scan_checked(text: str) -> tuple[ModuleFacts, Check]:
    """The facts, and the parser guard's verdict on the source (source/guard.py) from the same
    parse: the engine takes it instead of parsing the file with CPython again."""
    tree, check = parse(text)
    if tree is None:
        return _unparsed(text), check
    return _Scanner(tree).facts, check


_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([\w, \t]+)|import[ \t]+([\w., \t]+))",
                          re.MULTILINE)


def _unparsed(text: str) -> ModuleFacts:
    facts = ModuleFacts(serves=True)
    imported: set[str] = set()
    for m in _IMPORT_LINE.finditer(text):
        module, names, plain = m.groups()
        if plain is not None:
            imported.update(part.split()[0] for part in plain.split(",") if part.split())
            continue
        imported.add(module)
        sep = "" if module.endswith(".") else "."
        imported.update(f"{module}{sep}{part.split()[0]}" for part in names.split(",") if part.split())
    facts.imports = sorted(imported)
    return facts




class _Scanner:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.facts = ModuleFacts()
        self.defined: set[str] = set()  # module-level functions and classes
        self.collect_imports()
        self.collect_definitions()
        self.collect_servers()
        self.collect_registrations()
        self.collect_stdio()
        self.collect_functions()
        self.collect_exceptions()

    # -- names -----------------------------------------------------------------------------
    def collect_imports(self) -> None:
        """The module's imports; on the way (one walk of the tree) the nodes `collect_functions`
        and `collect_exceptions` read: decorated functions, `X.run(...)` calls, except clauses."""
        aliases = self.facts.aliases
        imported: set[str] = set()
        self.decorated: list[ast.AST] = []
        self.run_calls: list[ast.Call] = []
        self.handlers: list[ast.ExceptHandler] = []
        for node in walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    imported.add(a.name)
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        aliases.setdefault(a.name.split(".")[0], a.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                imported.add(module)
                for a in node.names:
                    if a.name == "*":
                        continue
                    joined = f"{module}.{a.name}" if module and not module.endswith(".") else module + a.name
                    imported.add(joined)
                    aliases.setdefault(a.asname or a.name, joined)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.decorator_list:
                self.decorated.append(node)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in _RUN_METHODS:
                self.run_calls.append(node)
            elif isinstance(node, ast.ExceptHandler):
                self.handlers.append(node)
        self.facts.imports = sorted(imported)
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
        for node in self.tree.body:  # `client = Client(...)`: a module-level object and what made it
            targets, value = _assignment(node)
            if isinstance(value, ast.Call) and _dotted(value.func):
                for t in targets:
                    self.facts.instances[t] = _dotted(value.func)

    def collect_functions(self) -> None:
        """Per-function facts (project/functions.py), the import graph and whether the module serves."""
        facts = self.facts
        facts.function_facts, facts.class_bases = scan_functions(self.tree, facts.aliases, self.defined,
                                                        _functions(self.tree))
        serves = bool(facts.servers or facts.server_classes or facts.registrations or facts.wrappers or
                      facts.dispatched or facts.server_params)
        serves = serves or any(self.handler_decorator(d) for fn in self.decorated for d in fn.decorator_list)
        for node in self.run_calls:
            receiver = self.resolve(node.func.value)
            if receiver is not None and receiver not in facts.runs:
                facts.runs.append(receiver)
        for node in self.tree.body:  # `REGISTRY.register_tools(HANDLERS, TOOLS)` when imported
            call = node.value if isinstance(node, ast.Expr) else None
            func = call.func if isinstance(call, ast.Call) else None
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if _REGISTERS.match(name):
                serves = True
        facts.serves = serves

    def handler_decorator(self, dec: ast.AST) -> bool:
        """`@mcp.tool()`, `@server.call_tool()`, fastmcp's standalone `@tool`: a handler."""
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute) and (target.attr in _DECORATORS or
                                                  target.attr in sdk.LOWLEVEL_V1_ONLY):
            return True
        return (self.resolve(target) or "") in sdk.STANDALONE_DECORATORS

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
        module_nodes = _module_nodes(self.tree)
        self.units: list[tuple[str, list[ast.AST], set[str]]] = [("", module_nodes, set())]
        self.unit("", module_nodes, set())
        for qualname, fn in _functions(self.tree):
            params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
            if fn.args.vararg:
                params.add(fn.args.vararg.arg)
            before = len(self.facts.server_params)
            nodes = list(_own_nodes(fn))
            self.units.append((qualname, nodes, params))
            self.facts.units.append(qualname)
            self.unit(qualname, nodes, params)
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
                    if not isinstance(target, ast.Attribute):
                        continue
                    if target.attr in _DECORATORS and _dotted(target.value) in params - {"self", "cls"}:
                        self.facts.server_params.append([qualname, _dotted(target.value), _DECORATORS[target.attr]])
                    if target.attr in _DECORATORS or target.attr in _SERVER_DECORATORS:
                        # a handler: of this unit, or its own unit when defined at module level
                        self.facts.handler_units.append([qualname or node.name,
                                                         self.server_ref(target.value, qualname, params)])
            if not isinstance(node, ast.Call):
                continue
            registered = self.registration(node, params)
            if registered is None:
                continue
            kind, flavour, value = registered
            self.handler_ref(node, value, qualname, params)
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
                self.facts.server_pass_refs.append([callee, i, self.server_ref(arg)])
        for kw in call.keywords:
            if kw.arg is None:
                continue
            flavour = self.server_flavour(kw.value)
            if flavour not in (None, "param"):
                self.facts.server_passes.append([callee, kw.arg, flavour if flavour != "?" else
                                                 "?" + (self.resolve(kw.value) or "")])
                self.facts.server_pass_refs.append([callee, kw.arg, self.server_ref(kw.value)])

    # -- stdio: which servers run over stdio, which units are their handlers, what units call ----
    def server_ref(self, node: ast.AST, unit: str = "", params: frozenset[str] = frozenset()) -> str:
        """How a server expression names its server, for the project join (see `stdio_runs`)."""
        name = _dotted(node)
        if name is None:
            return ""
        if name in self.facts.servers:
            return name
        head = name.split(".")[0]
        if head in params and head not in ("self", "cls") and "." not in name:
            return f"param:{unit}:{name}"
        if head in self.facts.aliases and name not in self.defined:
            return "=" + (self.resolve(node) or "")
        return ""

    def handler_ref(self, call: ast.Call, value: ast.AST, unit: str, params) -> None:
        """A registration call: the registered function (of this module or imported) and the
        server it is registered on, for the stdio join."""
        func = call.func
        receiver = func.func.value if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) else \
            func.value if isinstance(func, ast.Attribute) else None
        ref = self.server_ref(receiver, unit, params) if receiver is not None else ""
        target = _dotted(value)
        if target is None or target.split(".")[0] in params:
            return
        if target.split(".")[0] in self.defined:
            self.facts.handler_units.append([target, ref])
        elif self.resolve(value) is not None:
            self.facts.handler_imports.append([self.resolve(value), ref])

    def collect_stdio(self) -> None:
        """The servers this module runs over stdio, and what each unit refers to (one pass over
        the nodes of each unit)."""
        methods: dict[str, list[str]] = {}
        for qualname in self.facts.units:
            if "." in qualname:
                methods.setdefault(qualname.rsplit(".", 1)[1], []).append(qualname)
        local = {n.name for n in self.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        aliases = self.facts.aliases
        stdio_server = False
        lowlevel_runs: list[str] = []
        runs: list[tuple[str, str]] = []  # (reference, last name of the receiver)
        bound: set[str] = set()  # names (last components) assigned a server: `self.mcp = FastMCP(...)`
        for unit, nodes, params in self.units:
            found: set[str] = set()
            for node in nodes:
                tp = type(node)
                if tp is ast.Name:
                    if node.id in local:
                        found.add(node.id)
                    elif node.id in aliases:
                        found.add("=" + aliases[node.id])
                elif tp is ast.Attribute:
                    found.update(methods.get(node.attr, ()))
                    name = _dotted(node)
                    if name is not None and name.split(".")[0] in aliases and name.split(".")[0] not in local:
                        found.add("=" + (self.resolve(node) or ""))
                elif tp is ast.Assign or tp is ast.AnnAssign:
                    if node.value is not None and isinstance(node.value, ast.Call) and \
                            self.server_ctor(node.value) is not None:
                        for t in (node.targets if tp is ast.Assign else [node.target]):
                            name = _dotted(t)
                            if name is not None:
                                bound.add(name.rsplit(".", 1)[-1])
                elif tp is ast.Call:
                    func = node.func
                    if isinstance(func, ast.Attribute):
                        if func.attr in _STDIO_RUN_METHODS:
                            if len(node.args) >= 2:  # low-level: server.run(read, write, options)
                                lowlevel_runs.append(self.server_ref(func.value, unit, params))
                                continue
                            transport = node.args[0] if node.args else _keyword(node, "transport")
                            if transport is None or (isinstance(transport, ast.Constant) and
                                                     transport.value == "stdio"):
                                runs.append((self.server_ref(func.value, unit, params),
                                             (_dotted(func.value) or "").rsplit(".", 1)[-1]))
                        elif func.attr == "run_stdio_async":
                            runs.append((self.server_ref(func.value, unit, params), ""))
                    if not stdio_server:
                        qual = self.resolve(func) or ""
                        stdio_server = qual in _STDIO_SERVER or qual.endswith(".stdio_server")
            if found:
                self.facts.unit_refs[unit] = sorted(found)
        for ref, last in runs:
            if ref or last in bound or not last:
                self.facts.stdio_runs.append(ref)
        if stdio_server:
            self.facts.stdio_runs.extend(lowlevel_runs or [""])

    def dispatcher(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A low-level `call_tool(name, arguments)`: calls that pass the arguments to functions of
        other modules make those functions tool bodies."""
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
        raw = {p for p in params if p in ("arguments", "args", "params", "tool_args", "tool_input")} or \
            set(params[1:2])
        tables = _module_tables(self.tree)
        checked = _checks_results(fn, raw)
        for node in _own_nodes(fn):
            if not isinstance(node, ast.Call):
                continue
            if not any(_mentions(a, raw) for a in [*node.args, *(k.value for k in node.keywords)]):
                continue
            func = node.func
            if isinstance(func, ast.Subscript) and _dotted(func.value) in tables:  # HANDLERS[name](arguments)
                for target in tables[_dotted(func.value)]:
                    self.dispatch_target(target, checked)
                continue
            self.dispatch_target(func, checked)
        for node in _own_nodes(fn):  # handler = HANDLERS.get(name); handler(arguments)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and \
                    _dotted(node.func.value) in tables:
                for target in tables[_dotted(node.func.value)]:
                    self.dispatch_target(target, checked)

    def dispatch_target(self, func: ast.AST, checked: bool = False) -> None:
        name = _dotted(func)
        if name is None or name.split(".")[0] in self.defined:
            return
        qual = self.resolve(func)
        if qual is not None and not qual.startswith(("mcp.", "fastmcp.", "builtins.")) and \
                qual.split(".")[0] not in _STDLIB_HINTS:
            self.facts.dispatched.append(qual)
            if checked:
                self.facts.checked_results.append(qual)

    def wrapped_by(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str) -> None:
        for dec in fn.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            name = _dotted(target)
            if name is None:
                continue
            qual = self.resolve(target) or (name if name.split(".")[0] in self.defined else None)
            if qual is not None and not qual.startswith(("mcp.", "fastmcp.", "functools.", "typing.", "abc.")):
                self.facts.wrapped.append([qual, qualname])


    # -- exception classes -------------------------------------------------------------------
    def collect_exceptions(self) -> None:
        """The exception classes this module defines, and the classes it builds from a caught
        exception's text: what tells a project's own client-facing errors from wrapped ones."""
        classes = self.facts.exception_classes
        changed = True
        while changed:  # a class whose base is an exception class of this module is one too
            changed = False
            for node in self.tree.body:
                if not isinstance(node, ast.ClassDef) or node.name in classes or not node.bases:
                    continue
                bases = [b for b in (self.resolve(b) or _dotted(b) for b in node.bases) if b]
                if _exception_name(node.name) or any(_exception_name(b) or b in classes for b in bases):
                    classes[node.name] = bases
                    changed = True
        wraps = set()
        for node in self.handlers:
            if node.name:
                types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
                caught = tuple(sorted({self.resolve(t) or _dotted(t) or "?" for t in types if t is not None}))
                for call in _calls_with_caught_text(node):
                    name = _dotted(call.func)
                    if name is not None and name.rsplit(".", 1)[-1][:1].isupper():
                        wraps.add((self.resolve(call.func) or name, caught or ("BaseException",)))
        self.facts.wraps_caught = [[callee, list(caught)] for callee, caught in sorted(wraps)]


_SERVER_DECORATORS = frozenset({"call_tool", "list_tools", "read_resource", "list_resources", "get_prompt",
                                "list_prompts", "list_resource_templates", "completion"})
_STDIO_RUN_METHODS = frozenset({"run", "run_async"})  # with no transport argument: stdio
_STDIO_SERVER = frozenset({"mcp.server.stdio.stdio_server"})
# A module-level call that registers handlers in a registry of the project (`register_tools`,
# `add_tool`, `register_resources`): the module serves when imported.
_REGISTERS = re.compile(r"(?i)(register|add)_?\w*(tool|resource|prompt)s?$")
_RUN_METHODS = frozenset({"run", "run_async", "run_stdio_async", "run_sse_async", "run_streamable_http_async",
                          "run_http_async"})

_EXCEPTION_SUFFIXES = ("Error", "Exception", "Exc", "Failure", "Fault", "Warning")
# Attributes of an exception that name the kind of failure, not its detail (as MCP303 reads them).
_HARMLESS_ATTRS = frozenset({"__class__", "__name__", "__qualname__", "code", "status_code", "status", "errno",
                             "returncode", "error_code", "http_status", "reason_code", "reason_phrase", "reason"})


def _exception_name(name: str) -> bool:
    return name.rsplit(".", 1)[-1].endswith(_EXCEPTION_SUFFIXES) or name.rsplit(".", 1)[-1] == "BaseException"


def _calls_with_caught_text(clause: ast.ExceptHandler):
    """Calls in an `except ... as e` body whose arguments carry `e`'s text: `e` itself, `str(e)`,
    an f-string of it, `e.args`, or a local variable assigned from one of those in the body."""
    tainted = {clause.name}
    body = [n for stmt in clause.body for n in _walk_local(stmt)]
    for node in body:  # one pass in order: `msg = f"...{e}"` then `raise X(msg)`
        targets, value = _assignment(node)
        if value is not None and _carries(value, tainted):
            tainted.update(targets)
    for node in body:
        if isinstance(node, ast.Call) and any(
                _carries(a, tainted) for a in (*node.args, *(k.value for k in node.keywords))):
            yield node


def _carries(node: ast.AST, names: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Attribute):
        return node.attr not in _HARMLESS_ATTRS and _carries(node.value, names)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id == "type":
            return False
        return any(_carries(a, names) for a in (*node.args, *(k.value for k in node.keywords))) or (
            isinstance(node.func, ast.Attribute) and _carries(node.func.value, names))
    if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False
    return any(_carries(c, names) for c in children(node))


def _walk_local(node: ast.AST):
    """`node` and what it contains, not descending into nested functions or classes."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if n is not node and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(reversed(children(n)))


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


def _checks_results(fn: ast.AST, raw: set[str]) -> bool:
    """Does a dispatcher examine what its handlers return and raise on it: `result = await
    handler(arguments)` then `if error := error_text(result): raise RuntimeError(error)`?"""
    results = set()
    for node in _own_nodes(fn):
        targets, value = _assignment(node)
        if value is not None and any(isinstance(c, ast.Call) and any(
                _mentions(a, raw) for a in [*c.args, *(k.value for k in c.keywords)]) for c in walk(value)):
            results.update(targets)
    return bool(results) and any(
        isinstance(node, ast.If) and _mentions(node.test, results) and
        any(isinstance(n, ast.Raise) for stmt in node.body for n in walk(stmt))
        for node in _own_nodes(fn))


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in walk(node))


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
        stack.extend(reversed(children(node)))
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
        stack.extend(reversed(children(node)))
