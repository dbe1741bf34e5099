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
