"""Download pinned PyPI releases and unpack their .py files (standard library only).

Shared by sample.py (which picks the corpus) and check.py (which fetches it again), so both
see the same files: for a release, the first of a pure-Python wheel, any other wheel, an sdist
is taken, checked against PyPI's sha256, and only its `.py` files are written, under
`<corpus-dir>/packages/NAME==VERSION/` (sdists lose their `NAME-VERSION/` top folder). Nothing
downloaded is imported or run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

PYPI = "https://pypi.org"
USER_AGENT = "mcp-lint-ecosystem/1 (+https://github.com/mcp-lint/mcp-lint)"
DEFAULT_CORPUS_DIR = Path(os.environ.get("MCP_LINT_ECOSYSTEM_DIR", "~/.cache/mcp-lint-ecosystem")).expanduser()
MAX_ARCHIVE_BYTES = 20 * 1024 * 1024     # larger releases are skipped
MAX_MEMBER_BYTES = 16 * 1024 * 1024      # a single .py member larger than this is left out
MAX_UNPACKED_BYTES = 256 * 1024 * 1024   # stop unpacking an archive past this (archive bombs)
COMPLETE = ".complete"
SOURCE = ".source"


class FetchError(Exception):
    """A release that cannot be used; `reason` is a short category for counting."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def normalize(name: str) -> str:
    """PEP 503 name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def http_get(url: str, accept: str | None = None, timeout: float = 60, retries: int = 3,
             max_bytes: int | None = None) -> tuple[bytes, str]:
    """GET `url`; returns (body, content type). Retries transient failures; a 404 is final."""
    headers = {"User-Agent": USER_AGENT}
    if accept:
        headers["Accept"] = accept
    last: Exception | None = None
    for attempt in range(retries):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as r:
                if max_bytes is not None:
                    body = r.read(max_bytes + 1)
                    if len(body) > max_bytes:
                        raise FetchError("too large", f"{url} is over {max_bytes} bytes")
                else:
                    body = r.read()
                return body, r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                raise FetchError("not found", f"{url}: HTTP {exc.code}") from None
            last = exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            last = exc
        time.sleep(1.5 * (attempt + 1))
    raise FetchError("download failed", f"{url}: {last}")


def release_json(name: str, version: str | None = None, cache_dir: Path | None = None) -> dict:
    """PyPI's JSON API document of a project (newest release) or of one release. With
    `cache_dir`, a document once fetched is read from there (so a sampling run can be replayed)."""
    key = normalize(name) + (f"=={version}" if version else "")
    cached = cache_dir / f"{key}.json" if cache_dir else None
    if cached and cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    url = PYPI + f"/pypi/{urllib.parse.quote(name)}/" + (f"{urllib.parse.quote(version)}/" if version else "") + "json"
    try:
        doc = _get_json(url)
    except FetchError as exc:
        if not version or exc.reason != "not found":
            raise
        # some mirrors serve only the project document: take the release from its "releases"
        project = _get_json(PYPI + f"/pypi/{urllib.parse.quote(name)}/json")
        files = (project.get("releases") or {}).get(version)
        if files is None:
            raise FetchError("not found", f"{name} has no release {version} on PyPI") from None
        doc = {"info": {**(project.get("info") or {}), "version": version}, "urls": files,
               "last_serial": project.get("last_serial")}
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # keep what sampling needs; "releases" of big projects is large
        small = {k: doc.get(k) for k in ("info", "urls", "last_serial")}
        small["info"] = {k: (doc.get("info") or {}).get(k) for k in ("name", "version", "summary", "requires_python")}
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(small), encoding="utf-8")
        tmp.replace(cached)
        doc = small
    return doc


def _get_json(url: str) -> dict:
    body, _ = http_get(url)
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise FetchError("bad metadata", f"{url}: {exc}") from None
    for files in [doc.get("urls") or [], *(doc.get("releases") or {}).values()]:
        for file in files:  # file URLs may be relative to the document
            if file.get("url"):
                file["url"] = urllib.parse.urljoin(url, file["url"])
    return doc


def pick_file(urls: list[dict]) -> dict | None:
    """The distribution file to use: a pure-Python wheel, else any wheel, else an sdist; never a
    yanked file. Ties go to the first name in sorted order, so the choice is stable."""
    files = sorted((u for u in urls if not u.get("yanked")), key=lambda u: u.get("filename", ""))

    def first(pred):
        return next((u for u in files if pred(u["filename"].lower())), None)

    return (first(lambda f: f.endswith(".whl") and "-none-any" in f)
            or first(lambda f: f.endswith(".whl"))
            or first(lambda f: f.endswith((".tar.gz", ".tgz", ".zip", ".tar.bz2"))))


def download(file: dict, dl_dir: Path, max_bytes: int = MAX_ARCHIVE_BYTES) -> Path:
    """The archive of `file` (an entry of the JSON API's `urls`), downloaded into `dl_dir` once
    and checked against its sha256."""
    if file.get("size") and file["size"] > max_bytes:
        raise FetchError("too large", f"{file['filename']} is {file['size']} bytes")
    dest = dl_dir / file["filename"]
    want = (file.get("digests") or {}).get("sha256")
    if dest.is_file() and (not want or hashlib.sha256(dest.read_bytes()).hexdigest() == want):
        return dest
    body, _ = http_get(file["url"], timeout=120, max_bytes=max_bytes)
    if want and hashlib.sha256(body).hexdigest() != want:
        raise FetchError("download failed", f"{file['filename']}: sha256 mismatch")
    dl_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(body)
    tmp.replace(dest)
    return dest


def _members(archive: Path):
    """(name, size, read) for every regular file of a wheel, zip or tarball."""
    name = archive.name.lower()
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                if not info.is_dir():
                    yield info.filename, info.file_size, (lambda i=info: z.read(i))
    else:
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                if m.isfile():
                    yield m.name, m.size, (lambda m=m: t.extractfile(m).read())


def unpack_py(archive: Path, dest: Path) -> int:
    """Write the .py files of `archive` under `dest` (never outside it); returns how many."""
    is_sdist = not archive.name.lower().endswith(".whl")
    dest_abs = os.path.abspath(dest)
    n = total = 0
    try:
        for name, size, read in _members(archive):
            if not name.endswith(".py") or size > MAX_MEMBER_BYTES:
                continue
            parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
            if is_sdist and len(parts) > 1:
                parts = parts[1:]  # the "<name>-<version>/" top folder of an sdist
            if not parts or ".." in parts:
                continue
            out = os.path.abspath(os.path.join(dest, *parts))
            if not out.startswith(dest_abs + os.sep):
                continue
            total += size
            if total > MAX_UNPACKED_BYTES:
                raise FetchError("too large", f"{archive.name} unpacks to over {MAX_UNPACKED_BYTES} bytes")
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(read())
            n += 1
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise FetchError("bad archive", f"{archive.name}: {exc}") from None
    return n


@dataclass
class Fetched:
    name: str
    version: str
    path: Path      # the unpacked package
    archive: str    # the file it came from
    files: int      # .py files


def package_dir(corpus_dir: Path, name: str, version: str) -> Path:
    return corpus_dir / "packages" / f"{name}=={version}"


def is_fetched(corpus_dir: Path, name: str, version: str) -> bool:
    return (package_dir(corpus_dir, name, version) / COMPLETE).is_file()


def unpack_release(corpus_dir: Path, name: str, version: str, file: dict, archive: Path) -> Fetched:
    """Unpack `archive` into the corpus as NAME==VERSION (replacing a partial copy)."""
    dest = package_dir(corpus_dir, name, version)
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        n = unpack_py(archive, tmp)
        if n == 0:
            raise FetchError("no .py files", archive.name)
        (tmp / SOURCE).write_text(json.dumps({
            "name": name, "version": version, "filename": file["filename"], "url": file.get("url"),
            "sha256": (file.get("digests") or {}).get("sha256")}, indent=1) + "\n", encoding="utf-8")
        (tmp / COMPLETE).write_text("", encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(dest, ignore_errors=True)
    tmp.replace(dest)
    return Fetched(name, version, dest, file["filename"], n)


def fetch_pinned(corpus_dir: Path, name: str, version: str) -> Fetched:
    """NAME==VERSION unpacked in the corpus, downloaded first unless it is there already."""
    dest = package_dir(corpus_dir, name, version)
    if (dest / COMPLETE).is_file():
        n = sum(1 for p in dest.rglob("*.py"))
        try:
            src = json.loads((dest / SOURCE).read_text(encoding="utf-8"))["filename"]
        except (OSError, ValueError, KeyError):
            src = "?"
        return Fetched(name, version, dest, src, n)
    doc = release_json(name, version)
    file = pick_file(doc.get("urls") or [])
    if file is None:
        raise FetchError("no usable file", f"{name}=={version} has no wheel or sdist")
    archive = download(file, corpus_dir / "dl")
    return unpack_release(corpus_dir, name, version, file, archive)


def read_pins(path: Path) -> list[tuple[str, str]]:
    """`name==version` lines of a corpus list ("#" comments and blank lines ignored)."""
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        spec = line.split("#", 1)[0].strip().replace(" ", "")
        if not spec:
            continue
        if "==" not in spec:
            raise ValueError(f"{path}: not pinned: {line!r}")
        name, version = spec.split("==", 1)
        pins.append((name, version))
    return pins


def count_lines(root: Path) -> tuple[int, int]:
    """(.py files, physical lines) under `root`."""
    files = lines = 0
    for p in root.rglob("*.py"):
        files += 1
        with open(p, "rb") as f:
            data = f.read()
        lines += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return files, lines


__all__ = [
    "DEFAULT_CORPUS_DIR", "FetchError", "Fetched", "count_lines", "download", "fetch_pinned",
    "http_get", "is_fetched", "normalize", "package_dir", "pick_file", "read_pins", "release_json",
    "unpack_py", "unpack_release",
]
