"""What the audit knows about libraries and repositories: plain tables, no logic.

Qualified names are matched after the file's own import aliases are resolved
(`from prometheus_client import Counter as C` ... `C(...)` is `prometheus_client.Counter`).
A "root" is the first component of a qualified name (`prometheus_client`).
"""

from __future__ import annotations

import re

# -- logging ------------------------------------------------------------------------------------
LOG_CONFIG = frozenset({
    "logging.basicConfig", "logging.config.dictConfig", "logging.config.fileConfig",
    "logging.StreamHandler", "logging.FileHandler", "logging.handlers.RotatingFileHandler",
    "logging.handlers.TimedRotatingFileHandler", "logging.handlers.SysLogHandler",
})
# Calls that set up structured (machine-readable) logs on their own.
LOG_STRUCTURED = frozenset({
    "structlog.configure", "structlog.configure_once", "structlog.stdlib.ProcessorFormatter",
    "structlog.processors.JSONRenderer", "structlog.dev.ConsoleRenderer",
    "pythonjsonlogger.jsonlogger.JsonFormatter", "pythonjsonlogger.json.JsonFormatter",
    "pythonjsonlogger.orjson.OrjsonFormatter", "pythonjsonlogger.msgspec.MsgspecFormatter",
    "json_log_formatter.JSONFormatter", "json_log_formatter.VerboseJSONFormatter",
    "ecs_logging.StdlibFormatter", "logfire.configure", "logfire.LogfireLoggingHandler",
    "google.cloud.logging.Client", "logstash_formatter.LogstashFormatterV1",
})
LOG_ROOTS = frozenset({"logging", "structlog", "loguru", "logfire"})
# The SDKs' own logging helpers wrap the standard library's (`get_logger`, `configure_logging`).
LOG_MODULE_PARTS = frozenset({"logging", "logging_utils", "log_utils", "logger", "logs"})
# `logger.add(..., serialize=True)` on loguru's logger.
LOGURU_LOGGER = "loguru.logger"
FORMATTER_BASES = frozenset({"logging.Formatter"})

# -- metrics, tracing, error tracking -----------------------------------------------------------
METRICS_ROOTS = frozenset({"prometheus_client", "aioprometheus", "statsd", "datadog", "prometheus_fastapi_instrumentator",
                           "starlette_exporter", "starlette_prometheus", "pystatsd", "influxdb_client"})
METRICS_PREFIXES = ("opentelemetry.metrics", "opentelemetry.sdk.metrics", "opentelemetry.exporter.prometheus",
                    "logfire.metric_")
METRICS_METHODS = frozenset({"create_counter", "create_histogram", "create_up_down_counter", "create_gauge",
                             "create_observable_gauge", "create_observable_counter"})
# Distributions (as in requirements) of those libraries, for "declared but never imported".
METRICS_DISTRIBUTIONS = frozenset({"prometheus-client", "aioprometheus", "statsd", "datadog",
                                   "prometheus-fastapi-instrumentator", "starlette-exporter", "starlette-prometheus",
                                   "opentelemetry-sdk", "opentelemetry-exporter-prometheus", "influxdb-client"})

TRACKING_ROOTS = frozenset({"sentry_sdk", "ddtrace", "newrelic", "elasticapm", "rollbar", "bugsnag", "honeybadger",
                            "logfire", "bugsink", "raygun4py", "airbrake"})
TRACKING_PREFIXES = ("opentelemetry.trace", "opentelemetry.sdk.trace", "opentelemetry.instrumentation",
                     "opentelemetry.exporter.otlp", "opentelemetry.exporter.jaeger", "opentelemetry._logs")
# Calls that switch error tracking or tracing on for the process.
TRACKING_INIT = frozenset({
    "sentry_sdk.init", "opentelemetry.trace.set_tracer_provider", "opentelemetry.sdk.trace.TracerProvider",
    "logfire.configure", "ddtrace.patch_all", "ddtrace.patch", "ddtrace.auto", "newrelic.agent.initialize",
    "elasticapm.Client", "elasticapm.instrument", "rollbar.init", "bugsnag.configure", "honeybadger.honeybadger.configure",
    "raygun4py.raygunprovider.RaygunSender", "airbrake.Notifier",
})
TRACKING_DISTRIBUTIONS = frozenset({"sentry-sdk", "ddtrace", "newrelic", "elastic-apm", "rollbar", "bugsnag",
                                    "honeybadger", "logfire", "opentelemetry-sdk", "opentelemetry-distro",
                                    "opentelemetry-instrumentation"})
# Wrappers that start a process with tracing on (in a Dockerfile, Procfile or CI).
TRACKING_LAUNCHERS = ("opentelemetry-instrument", "ddtrace-run", "newrelic-admin run-program", "logfire run")

# -- caching ------------------------------------------------------------------------------------
CACHE_DECORATORS = frozenset({
    "functools.cache", "functools.lru_cache", "async_lru.alru_cache", "cachetools.cached", "cachetools.func.ttl_cache",
    "cachetools.func.lru_cache", "cachetools.func.lfu_cache", "asyncache.cached", "aiocache.cached",
    "aiocache.cached_stampede", "aiocache.multi_cached", "cashews.cache", "diskcache.Cache.memoize",
    "cachebox.cached", "cache_to_disk.cache_to_disk", "alru_cache", "fastapi_cache.decorator.cache",
})
CACHE_ROOTS = frozenset({"cachetools", "aiocache", "async_lru", "asyncache", "diskcache", "cashews", "requests_cache",
                         "hishel", "aiohttp_client_cache", "cachebox", "dogpile", "fastapi_cache", "pymemcache",
                         "aiomcache", "cachelib"})
CACHE_DISTRIBUTIONS = frozenset({"cachetools", "aiocache", "async-lru", "asyncache", "diskcache", "cashews",
                                 "requests-cache", "hishel", "aiohttp-client-cache", "cachebox", "dogpile-cache",
                                 "fastapi-cache2", "pymemcache", "aiomcache", "cachelib"})

# -- shutdown, concurrency ----------------------------------------------------------------------
SIGNALS = frozenset({"signal.signal", "atexit.register", "anyio.open_signal_receiver", "signal.set_wakeup_fd"})
SIGNAL_METHODS = frozenset({"add_signal_handler"})
CLOSE_METHODS = frozenset({"close", "aclose", "disconnect", "dispose", "shutdown", "terminate", "stop", "cleanup",
                           "wait_closed", "release", "quit", "logout", "close_all", "__aexit__", "__exit__"})
# Network clients and pools beyond MCP404's list (which the audit also reads).
EXTRA_CLIENTS = frozenset({
    "sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine", "neo4j.GraphDatabase.driver",
    "neo4j.AsyncGraphDatabase.driver", "google.cloud.bigquery.Client", "pyodbc.connect", "pymssql.connect",
    "oracledb.create_pool", "oracledb.create_pool_async", "qdrant_client.QdrantClient", "qdrant_client.AsyncQdrantClient",
    "elasticsearch.Elasticsearch", "elasticsearch.AsyncElasticsearch", "docker.from_env", "docker.DockerClient",
    "paramiko.SSHClient", "asyncssh.connect", "motor.motor_asyncio.AsyncIOMotorClient", "aiohttp.TCPConnector",
    "databases.Database", "snowflake.connector.connect", "clickhouse_driver.Client", "redis.asyncio.ConnectionPool",
    "redis.ConnectionPool", "openai.OpenAI", "openai.AsyncOpenAI", "anthropic.Anthropic", "anthropic.AsyncAnthropic",
})
# Databases inside the process: nothing to pool.
EMBEDDED_DB_ROOTS = frozenset({"sqlite3", "aiosqlite", "duckdb", "chdb", "sqlitedict"})
# Clients that hold nothing worth closing at exit (boto3 releases its pool with the process).
NO_CLOSE_NEEDED = ("boto3.", "botocore.", "aioboto3.")
LIFESPAN_DECORATORS = frozenset({"contextlib.asynccontextmanager", "contextlib.contextmanager",
                                 "fastmcp.server.lifespan.lifespan", "fastmcp.server.lifespan"})
CONCURRENCY = frozenset({"asyncio.gather", "asyncio.TaskGroup", "asyncio.wait", "asyncio.as_completed",
                         "asyncio.create_task", "asyncio.ensure_future", "anyio.create_task_group",
                         "trio.open_nursery", "concurrent.futures.ThreadPoolExecutor",
                         "concurrent.futures.ProcessPoolExecutor", "aiometer.run_all", "aiometer.run_on_each",
                         "asyncio.Semaphore", "anyio.Semaphore", "anyio.CapacityLimiter"})
CONCURRENCY_METHODS = frozenset({"start_soon", "create_task"})
OFFLOAD = frozenset({"asyncio.to_thread", "anyio.to_thread.run_sync", "starlette.concurrency.run_in_threadpool",
                     "fastapi.concurrency.run_in_threadpool", "asyncer.asyncify"})
OFFLOAD_METHODS = frozenset({"run_in_executor"})

# -- outbound I/O and databases -----------------------------------------------------------------
# Modules whose calls leave the process (HTTP, databases, cloud APIs).
IO_ROOTS = frozenset({
    "requests", "httpx", "aiohttp", "urllib3", "boto3", "botocore", "aioboto3", "google", "azure", "openai",
    "anthropic", "asyncpg", "psycopg", "psycopg2", "psycopg_pool", "sqlite3", "aiosqlite", "pymysql", "MySQLdb",
    "mysql", "aiomysql", "pymssql", "pyodbc", "oracledb", "cx_Oracle", "duckdb", "snowflake", "clickhouse_connect",
    "clickhouse_driver", "neo4j", "pymongo", "motor", "redis", "sqlalchemy", "elasticsearch", "opensearchpy",
    "qdrant_client", "docker", "kubernetes", "paramiko", "asyncssh", "github", "slack_sdk", "tavily", "arxiv",
    "googleapiclient", "databricks", "pinecone", "weaviate", "chromadb", "supabase", "stripe", "twilio", "ldap3",
    "smtplib", "ftplib", "aioftp", "websockets", "grpc", "httplib2", "pycurl", "tweepy", "notion_client",
    "atlassian", "jira", "hvac", "minio", "pysnmp", "ollama", "litellm",
})
IO_PREFIXES = ("urllib.request.", "http.client.", "socket.create_connection", "asyncio.open_connection")
# Methods that send a request or a query when called on a client object of those modules.
IO_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "request", "stream", "send", "fetch",
                        "execute", "executemany", "fetchrow", "fetchval", "query", "sql", "run", "search",
                        "invoke", "call", "upload_file", "download_file", "list_objects_v2", "get_object",
                        "put_object", "find", "find_one", "aggregate", "scroll", "read_sql", "read_sql_query"})
DB_ROOTS = frozenset({
    "sqlite3", "aiosqlite", "psycopg", "psycopg2", "psycopg_pool", "asyncpg", "pymysql", "MySQLdb", "mysql",
    "aiomysql", "pymssql", "pyodbc", "oracledb", "cx_Oracle", "duckdb", "snowflake", "clickhouse_connect",
    "clickhouse_driver", "sqlalchemy", "neo4j", "pymongo", "motor", "databases", "tortoise", "peewee", "sqlmodel",
    "ibm_db", "teradatasql", "trino", "pyhive", "vertica_python", "sqlparse", "aioodbc", "asyncmy",
})
DB_PREFIXES = ("google.cloud.bigquery", "google.cloud.spanner", "databricks.sql", "snowflake.connector")
# Methods that send one query: called inside a loop they make the N+1 pattern.
QUERY_METHODS = frozenset({"execute", "fetch", "fetchrow", "fetchval", "fetch_one", "fetch_all", "query", "sql",
                           "find", "find_one", "aggregate", "count_documents", "read_sql", "read_sql_query",
                           "execute_query", "run_query", "execute_read", "execute_write"})
MUTATING_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|DROP|CREATE|ALTER|TRUNCATE|REPLACE|MERGE|GRANT|REVOKE|UPSERT)\b",
                          re.IGNORECASE)

# -- state-changing tools and caller identity ---------------------------------------------------
# Words of a tool's name (snake_case or camelCase) that say it changes something.
MUTATING_WORDS = frozenset({
    "delete", "del", "drop", "remove", "rm", "write", "create", "update", "insert", "upsert", "set", "put", "post",
    "send", "exec", "execute", "run", "kill", "stop", "start", "restart", "deploy", "move", "mv", "rename", "upload",
    "commit", "push", "merge", "apply", "modify", "edit", "patch", "grant", "revoke", "purge", "truncate",
    "terminate", "cancel", "reset", "install", "uninstall", "save", "store", "publish", "destroy", "shutdown",
    "reboot", "scale", "transfer", "approve", "reject", "assign", "archive", "close", "lock", "unlock",
    "enable", "disable", "invite", "ban", "pay", "refund", "clear", "wipe", "overwrite", "append", "replace",
    "change", "mutate", "shell", "command", "cmd", "spawn", "invoke", "trigger", "schedule",
})
# "add" says it changes state only with an object: `add_user`, not `add(a, b)`.
MUTATING_WITH_OBJECT = frozenset({"add", "new", "make", "register", "attach", "tag", "label", "mark", "move"})
MUTATING_CALLS = {
    "subprocess": "runs a command", "os.system": "runs a command", "os.popen": "runs a command",
    "os.exec": "runs a command", "os.spawn": "runs a command", "asyncio.create_subprocess_exec": "runs a command",
    "asyncio.create_subprocess_shell": "runs a command", "os.remove": "changes files", "os.unlink": "changes files",
    "os.rmdir": "changes files", "os.removedirs": "changes files", "os.rename": "changes files",
    "os.replace": "changes files", "os.makedirs": "changes files", "os.mkdir": "changes files",
    "os.chmod": "changes files", "shutil.rmtree": "changes files", "shutil.move": "changes files",
    "shutil.copy": "changes files", "shutil.copyfile": "changes files", "shutil.copytree": "changes files",
    "shutil.copy2": "changes files", "aiofiles.os.remove": "changes files",
}
MUTATING_PATH_METHODS = frozenset({"write_text", "write_bytes", "unlink", "rmdir", "mkdir", "rename", "replace",
                                   "touch", "chmod", "symlink_to", "hardlink_to"})
MUTATING_HTTP_METHODS = frozenset({"post", "put", "patch", "delete"})
HTTP_ROOTS = frozenset({"requests", "httpx", "aiohttp", "urllib3"})
# Reading who the caller is.
IDENTITY_CALLS = frozenset({"get_access_token", "get_http_headers", "get_http_request", "get_current_user",
                            "current_user", "get_user", "verify_token", "validate_token", "decode_token"})
IDENTITY_NAME = re.compile(r"authori[sz]|permission|require_(scope|role|auth|admin|user)|check_(scope|role|access|auth)"
                           r"|has_(scope|role|permission|access)|is_(admin|authori[sz]ed|allowed)|ensure_(scope|role|access)"
                           r"|verify_(access|scope|role|permission)|can_(write|edit|delete|modify|access)|acl",
                           re.IGNORECASE)
IDENTITY_ATTRS = frozenset({"access_token", "scopes", "claims", "subject", "principal"})
# Attributes that name the caller only on a token (`token.client_id`), not on a context
# (`ctx.client_id` is what the client says it is).
TOKEN_ATTRS = frozenset({"client_id", "sub", "user_id", "email"})
IDENTITY_REQUEST_ATTRS = frozenset({"user", "auth", "headers"})
ACCESS_TOKEN_TYPES = ("AccessToken",)
ACCESS_TOKEN_DEFAULTS = frozenset({"CurrentAccessToken", "TokenClaim", "CurrentHeaders", "CurrentRequest"})
# ASGI middleware that authenticates every request to the app a server is mounted in. FastAPI's
# security dependencies (APIKeyHeader, HTTPBearer...) are not here: they guard the FastAPI routes
# that declare them, not a mounted MCP app.
ASGI_AUTH = frozenset({
    "starlette.middleware.authentication.AuthenticationMiddleware",
    "mcp.server.auth.middleware.bearer_auth.BearerAuthBackend",
    "mcp.server.auth.middleware.bearer_auth.RequireAuthMiddleware",
})

# -- HTTP routes --------------------------------------------------------------------------------
HEALTH_PATH = re.compile(r"(^|/)(health|healthz|healthcheck|health-check|health_check|ready|readyz|readiness|live|"
                         r"livez|liveness|ping|status|heartbeat)(/|$)", re.IGNORECASE)
ROUTE_DECORATOR_METHODS = frozenset({"get", "route", "api_route", "head", "custom_route", "websocket_route"})
ROUTE_CALLS = frozenset({"starlette.routing.Route", "fastapi.routing.APIRoute", "starlette.routing.Mount"})
ROUTE_METHODS = frozenset({"custom_route", "add_route", "add_api_route", "add_api_websocket_route"})

# -- tests --------------------------------------------------------------------------------------
# Ways a test talks to a server in memory (or launches it).
TEST_CLIENTS = {
    "Client": "fastmcp Client", "create_connected_server_and_client_session": "in-memory client session",
    "create_client_server_memory_streams": "in-memory streams", "ClientSession": "client session",
    "call_tool": "call_tool", "stdio_client": "stdio client", "StdioServerParameters": "stdio server launch",
    "streamablehttp_client": "HTTP client", "sse_client": "SSE client", "FastMCPTransport": "in-memory transport",
    "run_server_in_process": "server in a process", "list_tools": "list_tools",
}
TEST_DIRS = frozenset({"tests", "test", "testing", "unit_tests", "integration_tests", "e2e"})
EXAMPLE_DIRS = frozenset({"examples", "example", "samples", "sample", "demo", "demos", "cookbook", "notebooks"})
BENCH_DIRS = frozenset({"bench", "benchmark", "benchmarks", "perf", "performance", "load_tests", "loadtests"})
IDENTIFIER = re.compile(r"[A-Za-z_][\w.\-]{0,63}\Z")

# -- errors -------------------------------------------------------------------------------------
CODE_ATTRIBUTES = frozenset({"code", "error_code", "rpc_code", "jsonrpc_code"})  # as MCP301 reads a project class
GENERIC_EXCEPTIONS = frozenset({"Exception", "RuntimeError", "ValueError", "KeyError", "TypeError", "AssertionError",
                                "NotImplementedError"})


def is_test_path(parts: tuple[str, ...]) -> bool:
    """A test file: under a tests/ folder, or named test_*.py, *_test.py or conftest.py."""
    if not parts:
        return False
    name = parts[-1]
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" or name == "tests.py":
        return True
    return any(p in TEST_DIRS for p in parts[:-1])


def name_words(name: str) -> list[str]:
    """`delete_user` / `deleteUser` / `delete-user` -> ["delete", "user"]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def mutating_name(name: str) -> str | None:
    """The word of a tool's name that says it changes state, if one does."""
    words = name_words(name)
    for i, w in enumerate(words):
        if w in MUTATING_WORDS:
            return w
        if w in MUTATING_WITH_OBJECT and i + 1 < len(words):
            return w
    return None
