"""Security rules on code shapes of real servers: what must still be reported, and the
look-alikes that must not be (each case states the rule of Python or of a library it rests on).

Every case lints one small server through the real CLI and compares the lines reported; a
trailing `# expect` comment marks each line that must be reported, every other line must not be.
"""

from __future__ import annotations

import textwrap

import pytest

from conftest import findings, run_cli, write


def _reported(tmp_path, code: str, rule: str, name: str = "server.py") -> list[int]:
    path = write(tmp_path, name, code)
    got = findings(run_cli(path, "--select", rule, "--output-format", "json", "--exit-zero"), rule)
    return sorted(f["start"]["line"] for f in got)


def _expected(code: str) -> list[int]:
    return [i for i, line in enumerate(textwrap.dedent(code).splitlines(), 1) if line.rstrip().endswith("# expect")]


def check(tmp_path, code: str, rule: str, name: str = "server.py") -> None:
    assert _reported(tmp_path, code, rule, name) == _expected(code)


# -- MCP101: callbacks, dict keys, regular-expression guards --------------------------------------

def test_callback_parameters_take_the_value_their_default_captured(tmp_path):
    # `def f(ph=ph)` handed to a runner as its only positional argument: the runner calls it
    # without arguments, so `ph` is what the enclosing function computed (a placeholder list
    # here, tool input in `bad`). Given other positional arguments (`map(f, xs)`) it gets them.
    check(tmp_path, '''\
        import asyncio
        import sqlite3
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("memories")
        conn = sqlite3.connect("m.db")

        async def run_in_thread(fn):
            return await asyncio.to_thread(fn)

        @mcp.tool()
        async def fetch(hashes: list[str], where: str) -> list:
            """Fetch memories."""
            ph = ",".join("?" for _ in hashes)
            def fetch_batch(ph=ph, b=hashes):
                return conn.execute(f"SELECT * FROM m WHERE h IN ({ph})", b).fetchall()
            rows = await run_in_thread(fetch_batch)
            def bad(w=where):
                return conn.execute(f"SELECT * FROM m WHERE {w}").fetchall()  # expect
            await run_in_thread(bad)
            def mapped(w=ph):
                return conn.execute(f"SELECT * FROM m WHERE {w}").fetchall()  # expect
            list(map(mapped, [where]))
            return rows
        ''', "MCP101")


def test_iterating_a_dict_yields_its_keys(tmp_path):
    # `for k in d`, `d.keys()`, the `k` of `d.items()`, `sorted(d)`: the keys, which here are
    # literals (`d["name"] = v`, `setdefault`, `update({...}, k=v)`) or allow-listed by a
    # comprehension filter; the values are bound as parameters.
    check(tmp_path, '''\
        import sqlite3
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("agents")
        conn = sqlite3.connect("a.db")

        @mcp.tool()
        def update(agent_id: str, name: str, body: str, col: str, fields: dict) -> None:
            """Update an agent."""
            updates: dict[str, object] = {}
            if name:
                updates["name"] = name
            updates.setdefault("body", body)
            updates.update({"note": body}, title=name)
            set_clause = ", ".join(f"{k} = ?" for k in updates)
            conn.execute(f"UPDATE agents SET {set_clause} WHERE id = ?", list(updates.values()) + [agent_id])
            clauses = []
            for key, value in updates.items():
                clauses.append(f"{key} = ?")
            conn.execute(f"UPDATE agents SET {', '.join(clauses)}", list(updates.values()))
            for key in sorted(updates.keys()):
                conn.execute(f"UPDATE agents SET {key} = NULL")
            allowed = {"name", "description"}
            picked = {k: v for k, v in fields.items() if k in allowed and v is not None}
            conn.execute(f"UPDATE agents SET {', '.join(f'{k} = ?' for k in picked)}", list(picked.values()))
            raw = {k: v for k, v in fields.items()}
            conn.execute(f"UPDATE agents SET {', '.join(f'{k} = ?' for k in raw)}")  # expect
            conn.execute(f"UPDATE agents SET {', '.join(f'{v} = 1' for v in updates.values())}")  # expect
            for key, value in updates.items():
                conn.execute(f"UPDATE agents SET x = {value}")  # expect
            updates[col] = body
            for key in updates:
                conn.execute(f"UPDATE agents SET {key} = NULL")  # expect
        ''', "MCP101")


def test_re_match_checks_its_second_argument(tmp_path):
    # `re.match(PATTERN, x)` validates x; `PATTERN.match(x)` validates x too. A pattern that
    # is itself checked proves nothing about the value.
    check(tmp_path, '''\
        import re
        import sqlite3
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("tables")
        conn = sqlite3.connect("t.db")
        NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

        @mcp.tool()
        def describe(table: str, column: str, pattern: str) -> list:
            """Describe a table."""
            if not re.match(r"^\\w+$", table):
                return []
            if not NAME.fullmatch(column):
                raise ValueError(column)
            conn.execute(f"SELECT {column} FROM `{table}`")
            if not re.match(pattern, "fixed"):
                return []
            return conn.execute(f"SELECT * FROM t WHERE x LIKE '{pattern}'").fetchall()  # expect
        ''', "MCP101")


# -- MCP112: absolute paths, switches -----------------------------------------------------------

def test_resolved_paths_are_not_options_and_switches_take_no_value(tmp_path):
    # `Path.resolve()`/`absolute()`, `os.path.abspath`/`realpath` (also returned by a helper)
    # start with "/": never an option. `--ignore-case` is a switch, so the pattern after it is
    # an argument of its own; `--author` takes the item after it as its value.
    check(tmp_path, '''\
        import os
        import subprocess
        from pathlib import Path
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("search")

        def validate_path(requested: str) -> Path:
            p = Path(requested).expanduser()
            try:
                return p.resolve()
            except OSError:
                return p.absolute()

        @mcp.tool()
        def grep(pattern: str, path: str, ignore_case: bool = False, author: str = "") -> str:
            """Search files."""
            where = validate_path(path)
            command = ["rg", "--json", "--max-count=100"]
            if ignore_case:
                command.append("--ignore-case")
            command.extend([pattern, str(where)])
            subprocess.run(command, capture_output=True, timeout=30)  # expect
            subprocess.run(["wc", "-l", os.path.abspath(path), os.path.realpath(path)], timeout=5)
            subprocess.run(["git", "log", "--author", author], timeout=5)
            subprocess.run(["git", "log", "--no-merges", author], timeout=5)  # expect
            return subprocess.run(["ls", path], timeout=5).stdout  # expect
        ''', "MCP112")


# -- MCP103: file names with fixed text around the input, containment checks --------------------

def test_input_inside_a_fixed_file_name_pattern(tmp_path):
    # `base / f"_wb_{x}_{ts}.pp3"` can only leave `base` through a directory named `_wb_...`,
    # which a name ending in a file extension is not; `Path(x).stem`/`.name` have no separator.
    # Still reported: no text before the input (`f"{x}.pp3"`), a prefix of dots, no extension
    # (`job-{x}` may name the server's own directories), a separator before the input, and a
    # call that creates directories (it creates the one the prefix needs).
    check(tmp_path, '''\
        import os
        import time
        from pathlib import Path
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("photos")
        PREVIEWS = Path("/srv/previews")
        TEMPLATES = Path("/srv/templates")

        @mcp.tool()
        def preview(label: str, files: list[str], name: str, job: str, where: str) -> str:
            """Render a preview."""
            ts = int(time.time())
            pp3 = PREVIEWS / f"_wb_{label}_{ts}.pp3"
            pp3.write_text("x")
            report = os.path.join(str(PREVIEWS), "report-" + label + ".html")
            with open(report, "w") as fh:
                fh.write("x")
            for fp in files:
                raw = Path(fp)
                (PREVIEWS / f"{raw.stem}.jpg").unlink()
                (PREVIEWS / raw.name).unlink()
            (TEMPLATES / f"{name}.pp3").unlink()  # expect
            (PREVIEWS / f"job-{job}").rmdir()  # expect
            (PREVIEWS / f"..{job}.json").unlink()  # expect
            (PREVIEWS / f"sub/{job}.json").unlink()  # expect
            out = PREVIEWS / f"export-{where}.tif"
            out.parent.mkdir(parents=True, exist_ok=True)  # expect
            out.write_text("x")
            return str(pp3)
        ''', "MCP103")


def test_startswith_contains_a_path_only_when_normalised_and_with_a_separator(tmp_path):
    # `/tmp/../etc` starts with `/tmp`, and so does `/tmpfoo`: the path must be normalised
    # (realpath, abspath, resolve) and the prefix end with a separator.
    check(tmp_path, '''\
        import os
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("files")
        BASE_DIR = os.environ.get("BASE_DIR", "/tmp")

        @mcp.tool()
        def read(path: str) -> str:
            """Read a file under the base directory."""
            target = os.path.normpath(os.path.join(BASE_DIR, path))
            if not target.startswith(BASE_DIR):
                raise PermissionError(path)
            with open(target) as fh:  # expect
                return fh.read()

        @mcp.tool()
        def delete(path: str) -> str:
            """Delete a file under the base directory."""
            target = os.path.join(BASE_DIR, path)
            if not target.startswith(BASE_DIR + os.sep):
                raise PermissionError(path)
            os.remove(target)  # expect
            return "deleted"

        @mcp.tool()
        def write(path: str, text: str) -> str:
            """Write a file under the base directory."""
            target = os.path.realpath(os.path.join(BASE_DIR, path))
            if not target.startswith(os.path.realpath(BASE_DIR) + os.sep):
                raise PermissionError(path)
            with open(target, "w") as fh:
                fh.write(text)
            return "written"
        ''', "MCP103")


# -- MCP106: fixtures, documented formats, public identifiers ------------------------------------

SECRETS = '''\
    import httpx

    API_KEY = "ghandroid_Ujtwar5s9e3RYiSNV31X41y2hsK6Kh1Uv7JDrkpS"
    CLIENT_TOKEN = "Zx81kQm2Lp0rT7vW4yN6bC3d"  # expect
    PATTERNS = {
        "gemini": dict(name="Gemini", example="AIzaSyD1234567890abcdefghijklmnopqrstuv"),
        "google": {"examples": ["AIzaSyQ9xK2mL8vN4bR7tW1zC5yH3dF6gJ0pE2s"]},
    }
    TYPES = {"secret": "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl"}
    GOOGLE = "AIzaSyQ9xK2mL8vN4bR7tW1zC5yH3dF6gJ0pE2s"  # expect
    SEQUENTIAL = "AIzaSyD1234567890abcdefghijklmnopqrstuv"

    def login(user: str) -> dict:
        httpx.post("https://api.example.org/auth", json={"client_id": API_KEY, "user": user})
        return httpx.post("https://api.example.org/auth", headers={"X-Token": CLIENT_TOKEN},
                          json={"client_id": CLIENT_TOKEN}).json()
    '''


def test_secrets_that_are_formats_identifiers_or_public(tmp_path):
    # A key format shown in an `example=`/`examples=` field or typed as a run of consecutive
    # characters documents the format; a dotted class name is code; a secret-named variable
    # read only as an OAuth `client_id` is a public identifier (CLIENT_TOKEN is also a header).
    check(tmp_path, SECRETS, "MCP106")


def test_secrets_in_test_files_are_fixtures_unless_a_key_format(tmp_path):
    code = '''\
        CONFIG = {"pg_password": "s3cr3t-Passw0rd!", "token": "Zx81kQm2Lp0rT7vW4yN6bC3d"}
        HEADERS = {"Authorization": "Basic dGVzdEBleGFtcGxlLmNvbS90b2tlbjp0ZXN0"}
        AWS = "AKIAZ7Q4M2XK9TBW3RLN"  # expect
        '''
    check(tmp_path, code, "MCP106", name="tests/test_config.py")
    check(tmp_path, code, "MCP106", name="pkg/conftest.py")
    assert _reported(tmp_path, code, "MCP106", name="pkg/config.py") == [1, 1, 2, 3]
    # a server kept in a tests folder as a fixture is not a test module
    assert _reported(tmp_path, code, "MCP106", name="tests/fixtures/server.py") == [1, 1, 2, 3]
    assert _reported(tmp_path, "import pytest\n" + textwrap.dedent(code), "MCP106", name="tests/fixtures/x.py") == [4]


# -- MCP107: a peek at a claim, then verification ------------------------------------------------

def test_unverified_peek_followed_by_verification(tmp_path):
    # Reading `sub`/`kid` to pick the key, then verifying the same token with it, is how key
    # selection works; a helper named for an unverified decode is reported at low confidence
    # (its callers must verify).
    code = '''\
        import jwt
        from .keys import lookup_key, verify_agent_token

        def authenticate(token: str) -> dict:
            unverified = jwt.decode(token, options={"verify_signature": False})
            key = lookup_key(unverified["sub"])
            return jwt.decode(token, key, algorithms=["EdDSA"], audience="agents")

        def authenticate_helper(token: str) -> dict:
            claims = jwt.decode(token, options={"verify_signature": False})
            verify_agent_token(token, lookup_key(claims["sub"]))
            return claims

        def decode_unverified(token: str) -> dict:
            return jwt.decode(token, options={"verify_signature": False})  # expect

        def trusting(token: str, other: str) -> dict:
            claims = jwt.decode(token, options={"verify_signature": False})  # expect
            jwt.decode(token, options={"verify_signature": False})  # expect
            decode_unverified(token)
            jwt.decode(other, "k", algorithms=["HS256"])
            return claims
        '''
    check(tmp_path, code, "MCP107")
    got = findings(run_cli(tmp_path / "server.py", "--select", "MCP107", "--output-format", "json", "--exit-zero"))
    assert [f["confidence"] for f in sorted(got, key=lambda f: f["start"]["line"])] == ["low", "high", "high"]


# -- MCP109: one SSL context, one finding --------------------------------------------------------

def test_one_finding_per_ssl_context(tmp_path):
    check(tmp_path, '''\
        import ssl

        def make():
            ctx = ssl.create_default_context()
            ctx.check_hostname = False  # expect
            ctx.verify_mode = ssl.CERT_NONE
            other = ssl.create_default_context()
            other.verify_mode = ssl.CERT_NONE  # expect
            return ctx, other

        class Client:
            def __init__(self):
                self.ssl_context = ssl.create_default_context()
                self.ssl_context.check_hostname = False  # expect
                self.ssl_context.verify_mode = ssl.CERT_NONE

        def again():
            ctx = ssl.create_default_context()
            ctx.check_hostname = False  # expect
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        ''', "MCP109")


# -- MCP104 / MCP105 ----------------------------------------------------------------------------

def test_code_built_from_a_pattern_checked_name(tmp_path):
    # `^[A-Za-z0-9][A-Za-z0-9._-]*$` leaves no room for code around an import
    check(tmp_path, '''\
        import re
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("repl")

        @mcp.tool()
        def load(package: str, expression: str) -> str:
            """Import an installed package."""
            if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", package):
                return "invalid package name"
            exec(f"import {package}")
            return str(eval(expression))  # expect
        ''', "MCP104")


def test_request_urls_whose_host_the_tool_cannot_choose(tmp_path):
    # A URL that starts with a path (`/x/{id}`, `x/{id}`) is relative to the client's base URL;
    # a helper's URL parameter is what its callers pass; a configured template with its slots
    # filled keeps the template's host. `"ht" + url` can still become `http://...`.
    check(tmp_path, '''\
        import os
        import httpx
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("api")
        _client = httpx.Client(base_url=os.environ.get("API_BASE", "https://api.example.com"), timeout=10)

        def _request(method: str, path: str) -> dict:
            return _client.request(method, path).json()  # expect

        class Api:
            def __init__(self):
                self.client = httpx.Client(base_url="https://apis.example.com/puzzle")

            def get(self, endpoint: str) -> httpx.Response:
                return self.client.get(endpoint)

        api = Api()
        TOOLS = {"x": {"url": "https://gw.example.com/items/{{args.id}}"}}

        @mcp.tool()
        def scenario(scenario_id: str, host: str, url: str) -> dict:
            """A scenario."""
            _request("GET", f"/scenarios/{scenario_id}/")
            api.get(f"academy/ranking/{scenario_id}")
            template = TOOLS["x"]["url"]
            for k, v in {"id": scenario_id}.items():
                template = template.replace("{{args." + k + "}}", v)
            httpx.get(template)
            httpx.get("ht" + url)  # expect
            return _request("GET", f"https://{host}/x")
        ''', "MCP105")


def test_a_path_that_is_the_tools_input_as_a_whole(tmp_path):
    # A tool taking "any path" (no directory of the server joined before it, no containment check
    # anywhere in the file): listing and creating directories is reported at low confidence,
    # reading at medium; writing, deleting and anything under a base directory at high.
    code = '''\
        import os
        from pathlib import Path
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("files")
        ROOT = Path("/srv/data")

        @mcp.tool()
        def scan(folder: str, file_path: str, out: str, name: str, files: list[str]) -> str:
            """Scan a folder."""
            p = Path(folder).expanduser().resolve()
            for f in p.glob("*.csv"):
                print(f)
            os.listdir(folder)
            with open(file_path) as fh:
                fh.read()
            with open(out, "w") as fh:
                fh.write("x")
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            (ROOT / name).read_text()
            for fp in files:
                Path(fp).read_text()
            os.remove(file_path)
            return "ok"
        '''
    path = write(tmp_path, "server.py", code)
    got = findings(run_cli(path, "--select", "MCP103", "--output-format", "json", "--exit-zero"), "MCP103")
    assert sorted((f["start"]["line"], f["confidence"]) for f in got) == [
        (12, "low"), (14, "low"), (15, "medium"), (17, "medium"), (19, "low"), (20, "medium"), (22, "medium"),
        (23, "medium")]  # the rule's default is medium: no path finding is high
    # with a containment check elsewhere in the file the server has a boundary in mind: all high
    confined = code + '''
        @mcp.tool()
        def read(name: str) -> str:
            """Read a data file."""
            p = (ROOT / name).resolve()
            if not p.is_relative_to(ROOT):
                raise ValueError(name)
            return p.read_text()
        '''
    path = write(tmp_path, "server.py", confined)
    got = findings(run_cli(path, "--select", "MCP103", "--output-format", "json", "--exit-zero"), "MCP103")
    assert {f["confidence"] for f in got} == {"medium"} and len(got) == 8  # the default, raised from low


# -- MCP102 ---------------------------------------------------------------------------------------

def test_a_quoted_script_of_a_shell_is_still_run(tmp_path):
    # `sh -c {shlex.quote(x)}`: the outer shell sees one word, which the inner shell runs
    check(tmp_path, '''\
        import os
        import shlex
        import subprocess
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("jobs")

        @mcp.tool()
        def run(command: str, pattern: str) -> str:
            """Run in the background."""
            shell = os.environ.get("SHELL", "/bin/sh")
            subprocess.run(f"nohup {shell} -c {shlex.quote(command)} > /tmp/log 2>&1 &", shell=True)  # expect
            subprocess.run(f"ssh host bash -lc {shlex.quote(command)}", shell=True)  # expect
            subprocess.run(f"grep -c {shlex.quote(pattern)} /var/log/app.log", shell=True)
            return subprocess.run(f"echo {shlex.quote(command)}", shell=True).stdout
        ''', "MCP102")


def test_session_verify_off_and_a_cloned_repository_url(tmp_path):
    check(tmp_path, '''\
        import requests

        def session(insecure: bool) -> requests.Session:
            s = requests.Session()
            if insecure:
                s.verify = False  # expect
            return s
        ''', "MCP109")
    check(tmp_path, '''\
        import tempfile
        import git
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("ingest")

        @mcp.tool()
        def ingest(repo_url: str, name: str) -> str:
            """Clone a repository and summarise it."""
            target = tempfile.mkdtemp()
            git.Repo.clone_from(repo_url, target)  # expect
            git.Repo.clone_from(f"https://github.com/{name}.git", target)
            return target
        ''', "MCP105")


def _confidences(tmp_path, code: str, rule: str) -> dict[int, str]:
    path = write(tmp_path, "server.py", code)
    got = findings(run_cli(path, "--select", rule, "--output-format", "json", "--exit-zero"), rule)
    return {f["start"]["line"]: f["confidence"] for f in got}


def test_sql_confidence_is_the_default_only_for_a_tool_value_into_a_known_driver(tmp_path):
    # A tool parameter formatted into SQL for a typed sqlite3 connection: high. A helper's
    # parameter whose callers are not seen ("caller data"), or a receiver of unknown type taken
    # for a database because its text starts with an SQL keyword: low.
    got = _confidences(tmp_path, textwrap.dedent('''\
        import sqlite3
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("db")
        conn = sqlite3.connect("app.db")

        def count_rows(table):
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()

        @mcp.tool()
        def rows(table: str, db=None) -> list:
            """Rows of a table."""
            a = conn.execute(f"SELECT * FROM {table}").fetchall()
            b = db.execute(f"SELECT * FROM {table} LIMIT 1")
            return [a, b]
        '''), "MCP101")
    assert got == {8: "low", 13: "medium", 14: "low"}  # medium: the rule's default


def test_sql_identifier_quoting_and_a_server_that_runs_the_models_sql(tmp_path):
    # A doubled quote around an identifier and a word-character re.sub are identifier quoting,
    # whatever the helper is called; a quote added without escaping is not. A module whose tool
    # passes its parameter whole and untested as the SQL reports no formatting of names elsewhere.
    check(tmp_path, '''\
        import re
        import sqlite3
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("db")
        conn = sqlite3.connect("app.db")

        def _escape_identifier(name):
            return '"' + name.replace('"', '""') + '"'

        def tidy(name):
            return re.sub(r"[^A-Za-z0-9_]+", "_", name)

        def loose(name):
            return re.sub(r"[^A-Za-z0-9_;]", "", name)

        @mcp.tool()
        def sizes(table: str) -> list:
            """Row counts."""
            a = conn.execute(f"SELECT count(*) FROM {_escape_identifier(table)}").fetchone()
            b = conn.execute(f"SELECT count(*) FROM {tidy(table)}").fetchone()
            c = conn.execute(f"SELECT count(*) FROM {loose(table)}").fetchone()  # expect
            d = conn.execute(f"SELECT count(*) FROM '{table}'").fetchone()  # expect
            return [a, b, c, d]
        ''', "MCP101")
    check(tmp_path, '''\
        import sqlite3
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("db")
        conn = sqlite3.connect("app.db")

        @mcp.tool()
        def run_sql(sql: str) -> list:
            """Run any statement."""
            statement = sql
            return conn.execute(statement).fetchall()

        @mcp.tool()
        def describe(table: str) -> list:
            """Columns of a table."""
            return conn.execute(f"PRAGMA table_info({table})").fetchall()
        ''', "MCP101")
