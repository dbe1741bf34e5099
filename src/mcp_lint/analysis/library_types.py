"""What common library calls return, so rules can name methods on typed receivers.

`conn = sqlite3.connect(p); cur = conn.cursor(); cur.execute(q)` resolves the last call to
`sqlite3.Cursor.execute`; `async with httpx.AsyncClient() as c: c.get(u)` to
`httpx.AsyncClient.get`. Types come from constructor calls bound to names (assignments,
`with ... as`, awaits), `self.x = Ctor()` in the class, and parameter annotations. Unknown
stays unknown: rules then fall back to what they can see (a method name, a SQL keyword).
"""

from __future__ import annotations

import libcst as cst

from mcp_lint.analysis.cst_utils import dotted
from mcp_lint.analysis.state import ASSIGN, PARAM, WITH, Point

# callable (qualified) -> the type of what it returns
RETURNS: dict[str, str] = {
    # sqlite3 / aiosqlite
    "sqlite3.connect": "sqlite3.Connection",
    "sqlite3.Connection.cursor": "sqlite3.Cursor",
    "sqlite3.Connection.execute": "sqlite3.Cursor",
    "aiosqlite.connect": "aiosqlite.Connection",
    "aiosqlite.Connection.cursor": "aiosqlite.Cursor",
    "aiosqlite.Connection.execute": "aiosqlite.Cursor",
    # psycopg 2 / 3
    "psycopg2.connect": "psycopg2.Connection",
    "psycopg2.Connection.cursor": "psycopg2.Cursor",
    "psycopg2.pool.SimpleConnectionPool": "psycopg2.Pool",
    "psycopg2.pool.ThreadedConnectionPool": "psycopg2.Pool",
    "psycopg2.Pool.getconn": "psycopg2.Connection",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.Connection.connect": "psycopg.Connection",
    "psycopg.Connection.cursor": "psycopg.Cursor",
    "psycopg.AsyncConnection.connect": "psycopg.AsyncConnection",
    "psycopg.AsyncConnection.cursor": "psycopg.AsyncCursor",
    "psycopg_pool.ConnectionPool": "psycopg_pool.ConnectionPool",
    "psycopg_pool.AsyncConnectionPool": "psycopg_pool.AsyncConnectionPool",
    "psycopg_pool.ConnectionPool.connection": "psycopg.Connection",
    "psycopg_pool.AsyncConnectionPool.connection": "psycopg.AsyncConnection",
    # asyncpg
    "asyncpg.connect": "asyncpg.Connection",
    "asyncpg.create_pool": "asyncpg.Pool",
    "asyncpg.Pool.acquire": "asyncpg.Connection",
    # MySQL
    "pymysql.connect": "pymysql.Connection",
    "pymysql.Connection.cursor": "pymysql.Cursor",
    "pymysql.connections.Connection": "pymysql.Connection",
    "MySQLdb.connect": "MySQLdb.Connection",
    "MySQLdb.Connection.cursor": "MySQLdb.Cursor",
    "mysql.connector.connect": "mysql.connector.Connection",
    "mysql.connector.Connection.cursor": "mysql.connector.Cursor",
    "aiomysql.connect": "aiomysql.Connection",
    "aiomysql.create_pool": "aiomysql.Pool",
    "aiomysql.Pool.acquire": "aiomysql.Connection",
    "aiomysql.Connection.cursor": "aiomysql.Cursor",
    # SQL Server / Oracle / ODBC
    "pymssql.connect": "pymssql.Connection",
    "pymssql.Connection.cursor": "pymssql.Cursor",
    "pyodbc.connect": "pyodbc.Connection",
    "pyodbc.Connection.cursor": "pyodbc.Cursor",
    "oracledb.connect": "oracledb.Connection",
    "oracledb.Connection.cursor": "oracledb.Cursor",
    "cx_Oracle.connect": "oracledb.Connection",
    # analytics
    "duckdb.connect": "duckdb.DuckDBPyConnection",
    "duckdb.DuckDBPyConnection.cursor": "duckdb.DuckDBPyConnection",
    "snowflake.connector.connect": "snowflake.Connection",
    "snowflake.Connection.cursor": "snowflake.Cursor",
    "clickhouse_connect.get_client": "clickhouse_connect.Client",
    "clickhouse_connect.get_async_client": "clickhouse_connect.Client",
    "clickhouse_driver.Client": "clickhouse_driver.Client",
    "google.cloud.bigquery.Client": "bigquery.Client",
    # SQLAlchemy
    "sqlalchemy.create_engine": "sqlalchemy.Engine",
    "sqlalchemy.ext.asyncio.create_async_engine": "sqlalchemy.Engine",
    "sqlalchemy.Engine.connect": "sqlalchemy.Connection",
    "sqlalchemy.Engine.begin": "sqlalchemy.Connection",
    "sqlalchemy.orm.Session": "sqlalchemy.Session",
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.sessionmaker",
    # HTTP
    "requests.Session": "requests.Session",
    "requests.session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
    "httpx.Client": "httpx.Client",
    "httpx.AsyncClient": "httpx.AsyncClient",
    "aiohttp.ClientSession": "aiohttp.ClientSession",
    "urllib3.PoolManager": "urllib3.PoolManager",
    # hashing: `h = hashlib.sha256(); h.update(x)` is `hashlib.Hash.update`
    **{f"hashlib.{_algo}": "hashlib.Hash" for _algo in (
        "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256", "sha3_384", "sha3_512",
        "blake2b", "blake2s", "new")},
    # processes and sockets
    "subprocess.Popen": "subprocess.Popen",
    "asyncio.create_subprocess_exec": "asyncio.Process",
    "asyncio.create_subprocess_shell": "asyncio.Process",
    "asyncio.subprocess.create_subprocess_exec": "asyncio.Process",
    "asyncio.subprocess.create_subprocess_shell": "asyncio.Process",
    "socket.socket": "socket.socket",
    "socket.create_connection": "socket.socket",
    "smtplib.SMTP": "smtplib.SMTP",
    "ftplib.FTP": "ftplib.FTP",
    "paramiko.SSHClient": "paramiko.SSHClient",
    # clients created per call (MCP404)
    "pymongo.MongoClient": "pymongo.MongoClient",
    "motor.motor_asyncio.AsyncIOMotorClient": "motor.AsyncIOMotorClient",
    "redis.Redis": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    "redis.from_url": "redis.Redis",
    "redis.asyncio.Redis": "redis.asyncio.Redis",
    "redis.asyncio.from_url": "redis.asyncio.Redis",
    "boto3.client": "boto3.Client",
    "boto3.resource": "boto3.Resource",
    "boto3.Session": "boto3.Session",
    "boto3.session.Session": "boto3.Session",
    "boto3.Session.client": "boto3.Client",
}
# Alternative spellings of the same type (driver-specific class paths).
ALIASES: dict[str, str] = {
    "psycopg2.extensions.connection": "psycopg2.Connection",
    "psycopg2.extensions.cursor": "psycopg2.Cursor",
    "psycopg.connection.Connection": "psycopg.Connection",
    "psycopg.AsyncConnection": "psycopg.AsyncConnection",
    "asyncpg.connection.Connection": "asyncpg.Connection",
    "asyncpg.pool.Pool": "asyncpg.Pool",
    "sqlite3.dbapi2.Connection": "sqlite3.Connection",
    "sqlalchemy.engine.Engine": "sqlalchemy.Engine",
    "sqlalchemy.engine.Connection": "sqlalchemy.Connection",
    "sqlalchemy.ext.asyncio.AsyncEngine": "sqlalchemy.Engine",
    "sqlalchemy.ext.asyncio.AsyncSession": "sqlalchemy.Session",
    "sqlalchemy.ext.asyncio.AsyncConnection": "sqlalchemy.Connection",
    "requests.sessions.Session": "requests.Session",
    "asyncio.subprocess.Process": "asyncio.Process",
}
# Constructors that are their own type.
for _name in ("psycopg.Connection", "psycopg.AsyncConnection", "sqlite3.Connection", "asyncpg.Pool",
              "asyncpg.Connection"):
    RETURNS.setdefault(_name, _name)


def canonical(name: str | None) -> str | None:
    if name is None:
        return None
    return ALIASES.get(name, name)


class TypeOracle:
    """Receiver types for one file, from the flow analysis' bindings."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.memo: dict[int, str | None] = {}
        self.targets: dict[int, str | None] = {}

    def call_target(self, call: cst.Call, point: Point) -> str | None:
        """`requests.get`, `sqlite3.Cursor.execute`, ... or None when unknown. A call is at one
        program point, so its target is computed once per file whichever rule asks."""
        key = id(call)
        if key in self.targets:
            return self.targets[key]
        target = self._call_target(call, point)
        self.targets[key] = target
        return target

    def _call_target(self, call: cst.Call, point: Point) -> str | None:
        func = call.func
        name = self.ctx.imports.resolve(func)
        if name is not None and not self._locally_bound(func, point):
            return canonical(name)
        if isinstance(func, cst.Attribute):
            recv = self.type_of(func.value, point)
            if recv is not None:
                return f"{recv}.{func.attr.value}"
        if isinstance(func, cst.Name):
            return self._alias(func, point)
        return None

    def _alias(self, name: cst.Name, point: Point) -> str | None:
        """`run = subprocess.run` (or `= getattr(subprocess, "run")`, `= cur.execute`) and
        then `run(...)`: the one value the name is bound to, when that names a callable."""
        bindings = self.ctx.flows.reaching(name.value, point)
        if bindings:
            if len(bindings) != 1 or bindings[0].kind != ASSIGN or bindings[0].index:
                return None
            value, at = bindings[0].node, bindings[0].point
        else:
            values = self.ctx.index.module_bindings.get(name.value) or ()
            if len(values) != 1 or values[0] is None:
                return None
            value, at = values[0], self.ctx.state.module_frame.point()
        if not isinstance(value, (cst.Attribute, cst.Call)):
            return None
        qual = self.ctx.imports.resolve(value)
        if qual is not None:
            return canonical(qual)
        if isinstance(value, cst.Attribute):
            recv = self.type_of(value.value, at)
            return f"{recv}.{value.attr.value}" if recv is not None else None
        return None

    def type_of(self, expr: cst.BaseExpression, point: Point, depth: int = 0) -> str | None:
        if depth > 8:
            return None
        if isinstance(expr, cst.Await):
            return self.type_of(expr.expression, point, depth + 1)
        if isinstance(expr, cst.Call):
            module = self.ctx.imports.resolve(expr)  # `importlib.import_module("subprocess")`: the module
            if module is not None:
                return module
            target = self.call_target(expr, point)
            if target is None:
                return self._local_return_type(expr, point)
            return RETURNS.get(target) or (target if target in ALIASES.values() else None) or self._project_class(target)
        if isinstance(expr, cst.Name):
            bindings = self.ctx.flows.reaching(expr.value, point)
            for b in bindings:
                found = self._binding_type(b, depth)
                if found is not None:
                    return found
            if not bindings:  # a module-level object used inside a function
                module_point = self.ctx.state.module_frame.point()
                for value in self.ctx.index.module_bindings.get(expr.value) or ():
                    if isinstance(value, (cst.Call, cst.Await)):
                        found = self.type_of(value, module_point, depth + 1)
                        if found is not None:
                            return found
            return None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            cls_name = _class_of(point)
            cls = self.ctx.index.classes.get(cls_name) if cls_name else None
            if cls is not None:
                for value in cls.self_attrs.get(expr.attr.value, ()):
                    if isinstance(value, (cst.Call, cst.Await)):
                        found = self.type_of(value, self.ctx.state.module_frame.point(), depth + 1)
                        if found is not None:
                            return found
        return None

    def _project_class(self, qualname: str) -> str | None:
        """An instance of a class another module of the project defines (`db = Database(path)`)."""
        project = getattr(self.ctx, "project", None)
        return project.class_name(qualname, self.ctx.path) if project is not None else None

    def _local_return_type(self, call: cst.Call, point: Point) -> str | None:
        """`make_client(...)` where the same-file `def make_client(...) -> httpx.AsyncClient`."""
        if not isinstance(call.func, cst.Name):
            return None
        fn = self.ctx.index.find_function(call.func.value, point.frame.info)
        if fn is None or fn.returns is None:
            return None
        ann = fn.returns.annotation
        name = canonical(self.ctx.imports.resolve(ann) or dotted(ann))
        return name if name in RETURNS.values() else None

    def _binding_type(self, b, depth: int) -> str | None:
        key = id(b)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None
        found = None
        if b.kind in (ASSIGN, WITH) and isinstance(b.node, cst.BaseExpression) and not b.index:
            found = self.type_of(b.node, b.point, depth + 1)
            if found is None and b.kind == WITH and isinstance(b.node, cst.Call):
                found = None
        elif b.kind == PARAM and isinstance(b.node, cst.Param) and b.node.annotation is not None:
            ann = b.node.annotation.annotation
            name = self.ctx.imports.resolve(ann) or dotted(ann)
            found = canonical(name) if name and (canonical(name) in RETURNS.values()) else None
            if found is None and name:
                found = self._project_class(name)
        self.memo[key] = found
        return found

    def _locally_bound(self, func: cst.BaseExpression, point: Point) -> bool:
        """A local variable that shadows an imported name (`requests = make_client()`)."""
        head = func
        while isinstance(head, cst.Attribute):
            head = head.value
        if not isinstance(head, cst.Name):
            return False
        return any(b.kind != "opaque" for b in self.ctx.flows.reaching(head.value, point)
                   if b.point.frame is not self.ctx.state.module_frame)


def _class_of(point: Point) -> str | None:
    info = point.frame.info
    while info is not None:
        if info.class_name is not None:
            return info.class_name
        info = info.parent
    return None
