"""A small MCP server for team notes, with the mistakes mcp-lint exists to catch.

Run `mcp-lint examples/notes_server.py` to see them; `mcp-lint rule MCP101` explains one.
"""

import sqlite3
import time

import httpx
import requests
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")
DB_PATH = "notes.db"


@mcp.tool()
def search_notes(author: str, limit: int = 20) -> list[dict]:
    """Find notes written by an author."""
    conn = sqlite3.connect(DB_PATH)
    rows = conn.execute(
        f"SELECT id, title FROM notes WHERE author = '{author}' ORDER BY id DESC LIMIT {limit}"
    ).fetchall()
    return [{"id": r[0], "title": r[1]} for r in rows]


@mcp.tool()
def tag_note(note_id: int, tags) -> str:
    """Attach tags to a note."""
    if note_id <= 0:
        raise ValueError("note_id must be positive")
    with sqlite3.connect(DB_PATH) as conn:
        conn.executemany("INSERT INTO tags (note_id, tag) VALUES (?, ?)", [(note_id, t) for t in tags])
    return "tagged"


@mcp.tool()
def import_note(url: str) -> str:
    """Import a note from a URL."""
    try:
        text = requests.get(url).text
    except requests.RequestException as exc:
        return f"Error: could not fetch {url}: {exc}"
    print(f"imported {len(text)} characters")
    return text[:2000]


@mcp.tool()
async def link_previews(urls: list[str]) -> list[str]:
    """Titles of the pages linked from a note."""
    titles = []
    async with httpx.AsyncClient() as client:
        for url in urls:
            page = await client.get(url)
            titles.append(page.text.split("<title>")[-1].split("</title>")[0])
    time.sleep(0.1)
    return titles


if __name__ == "__main__":
    mcp.run()
