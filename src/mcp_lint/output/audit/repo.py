"""What a project's non-Python files show: manifests and lock files, CI, update bots,
deployment artefacts, README and docs, examples, benchmarks, linters, the package version.

Python files are never read here (the check's walk has already seen them). Other files are
found by name under the project root, skipping version-control, virtual-environment, build
and cache folders and the configuration's excludes, at most `MAX_DEPTH` folders deep and
`MAX_FILES` files in all; a file is read only when its name says it matters, and only its
first `MAX_BYTES`. Lines are matched as text: these are YAML, TOML, Markdown and shell.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

import mcp_lint.analysis.audit_knowledge as K

MAX_DEPTH = 8
MAX_FILES = 20_000
MAX_BYTES = 512 * 1024
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "node_modules", "__pycache__", ".tox",
                       ".nox", "build", "dist", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".mcp_lint_cache",
                       "site-packages", ".eggs", ".idea", ".vscode", "htmlcov", ".hypothesis", ".cache"})

_CI_FILES = re.compile(r"(\.github/workflows/[^/]+\.ya?ml|\.gitlab-ci\.ya?ml|\.gitlab/ci/.+\.ya?ml|\.circleci/config\.ya?ml"
                       r"|azure-pipelines\.ya?ml|Jenkinsfile|\.travis\.ya?ml|bitbucket-pipelines\.ya?ml"
                       r"|\.buildkite/.+\.ya?ml|\.drone\.ya?ml|\.woodpecker\.ya?ml|\.woodpecker/.+\.ya?ml"
                       r"|cloudbuild\.ya?ml|\.gitea/workflows/.+\.ya?ml|\.forgejo/workflows/.+\.ya?ml)\Z")
_TEST_STEP = re.compile(r"(?<![\w-])(pytest|py\.test|tox|nox|unittest|hatch (run )?test|make (test|check)|just test"
                        r"|pdm run test|poe test|coverage run|uv run (-- )?pytest|poetry run pytest|ward|behave)(?![\w-])")
_AUDIT_STEP = re.compile(r"(?<![\w-])(pip-audit|gh-action-pip-audit|safety (check|scan)|osv-scanner|snyk|trivy"
                         r"|dependency-review-action|uv audit|pipenv check|grype|jake ddt)(?![\w-])", re.IGNORECASE)
_BOTS = re.compile(r"(\.github/dependabot\.ya?ml|renovate\.json5?|\.renovaterc(\.json5?)?|\.github/renovate\.json5?"
                   r"|\.gitlab/renovate\.json5?|\.pyup\.ya?ml)\Z")
_LOCKS = re.compile(r"(uv\.lock|poetry\.lock|pdm\.lock|Pipfile\.lock|pylock(\.[\w-]+)?\.toml|conda-lock\.ya?ml"
                    r"|requirements[\w.-]*\.lock)\Z")
_REQUIREMENTS = re.compile(r"(requirements[\w.-]*\.(txt|in)|requirements/[\w.-]+\.txt|constraints[\w.-]*\.txt)\Z")
_DEPLOY = re.compile(r"((^|/)(Dockerfile[\w.-]*|[\w.-]+\.Dockerfile|Containerfile|docker-compose[\w.-]*\.ya?ml"
                     r"|compose\.ya?ml|Chart\.yaml|fly\.toml|Procfile|render\.yaml|railway\.(json|toml)"
                     r"|serverless\.ya?ml|smithery\.yaml|heroku\.yml|skaffold\.yaml|kustomization\.yaml|app\.ya?ml"
                     r"|vercel\.json|[\w.-]+\.tf|\.do/app\.yaml|cloudbuild\.ya?ml|apprunner\.yaml|Caddyfile"
                     r"|nginx\.conf|[\w.-]+\.service))\Z")
_K8S_DIRS = frozenset({"k8s", "kubernetes", "deploy", "deployment", "deployments", "manifests", "helm", "charts",
                       "infra", "infrastructure", "ops", ".k8s", "kustomize", "openshift"})
_K8S_KIND = re.compile(r"^kind:\s*(Deployment|StatefulSet|DaemonSet|Service|Pod|Job|CronJob|Ingress)\b", re.MULTILINE)
_HEALTHCHECK = re.compile(r"^\s*(HEALTHCHECK\s+(?!NONE)|healthcheck:|livenessProbe:|readinessProbe:|startupProbe:)",
                          re.IGNORECASE)
_README = re.compile(r"readme(\.(md|rst|txt|markdown))?\Z", re.IGNORECASE)
_CHANGELOG = re.compile(r"(changelog|changes|history|news|release[-_ ]?notes)(\.(md|rst|txt))?\Z", re.IGNORECASE)
_DOC_EXT = (".md", ".rst", ".txt", ".markdown", ".adoc")
_LINTER_FILES = {"ruff.toml": "ruff", ".ruff.toml": "ruff", ".flake8": "flake8", ".pylintrc": "pylint",
                 "pylintrc": "pylint", ".isort.cfg": "isort"}
_TYPECHECKER_FILES = {"mypy.ini": "mypy", ".mypy.ini": "mypy", "pyrightconfig.json": "pyright"}
_TOML_LINTERS = re.compile(r"^\s*\[tool\.(ruff|black|isort|pylint|flake8|autopep8|pyflakes|pycodestyle|flakeheaven)\b",
                           re.MULTILINE)
_TOML_TYPECHECKERS = re.compile(r"^\s*\[tool\.(mypy|pyright|basedpyright|pytype|pyre)\b", re.MULTILINE)
_CFG_SECTION = re.compile(r"^\s*\[(flake8|pylint|mypy|isort|pycodestyle)[\]:.-]", re.MULTILINE)
_PRECOMMIT_HOOK = re.compile(r"^\s*-\s*id:\s*([\w-]+)", re.MULTILINE)
_BENCH_NAMES = re.compile(r"(^|/)(bench[\w-]*\.py|[\w-]*benchmark[\w-]*\.py|locustfile\.py|asv\.conf\.json"
                          r"|[\w-]*\.k6\.js|k6[\w-]*\.js)\Z")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_DEPLOY_HEADING = re.compile(r"deploy|docker|kubernetes|k8s|helm|production|hosting|self-host|running|install|"
                             r"usage|configuration|setup|getting started|quick ?start|claude desktop|client", re.IGNORECASE)
_SERVER_DEPLOY_HEADING = re.compile(r"deploy|docker|kubernetes|k8s|helm|production|hosting|self-host", re.IGNORECASE)
_CLIENT_CONFIG = re.compile(r"\"?mcpServers\"?|claude_desktop_config|\[mcp_servers|\"servers\"\s*:|mcp\.json"
                            r"|claude mcp add|codex mcp add|uvx\s+[\w.-]+|npx\s+-y", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    path: str
    line: int | None = None
    note: str = ""


@dataclass
class Repo:
    root: Path
    files: list[str] = field(default_factory=list)
    truncated: bool = False
    readme: Hit | None = None
    readme_text: str = ""
    docs: list[str] = field(default_factory=list)  # documentation files (README excluded)
    doc_texts: dict[str, str] = field(default_factory=dict)
    readme_headings: list[Hit] = field(default_factory=list)
    readme_code_blocks: list[Hit] = field(default_factory=list)
    client_config: list[Hit] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    dependencies: dict[str, Hit] = field(default_factory=dict)  # canonical name -> where declared
    locks: list[Hit] = field(default_factory=list)
    bots: list[Hit] = field(default_factory=list)
    ci_files: list[str] = field(default_factory=list)
    ci_tests: list[Hit] = field(default_factory=list)
    audits: list[Hit] = field(default_factory=list)
    deploy: list[Hit] = field(default_factory=list)
    healthchecks: list[Hit] = field(default_factory=list)
    launchers: list[Hit] = field(default_factory=list)  # processes started with tracing on
    package_version: Hit | None = None
    changelog: Hit | None = None
    linters: list[Hit] = field(default_factory=list)
    typecheckers: list[Hit] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    benchmarks: list[Hit] = field(default_factory=list)


def scan_repo(root: Path, exclude: tuple[str, ...] = (), read_dependencies=None) -> Repo:
    repo = Repo(root=root)
    spec = pathspec.GitIgnoreSpec.from_lines(exclude) if exclude else None
    for rel in _walk(root, spec, repo):
        _classify(repo, root, rel, read_dependencies)
    return repo


def _walk(root: Path, spec, repo: Repo):
    count = 0
    for current, dirs, files in os.walk(root):
        rel_dir = Path(current).relative_to(root)
        depth = len(rel_dir.parts)
        keep = []
        for d in sorted(dirs):
            rel = (rel_dir / d).as_posix()
            if d in SKIP_DIRS or d.endswith(".egg-info") or depth >= MAX_DEPTH:
                continue
            if spec is not None and spec.match_file(rel + "/"):
                continue
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            rel = (rel_dir / name).as_posix()
            if spec is not None and spec.match_file(rel):
                continue
            count += 1
            if count > MAX_FILES:
                repo.truncated = True
                return
            repo.files.append(rel)
            yield rel


def read_text(path: Path) -> str | None:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a FIFO named like a config file would block the read
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES)
    except OSError:
        return None
    return data.decode("utf-8", "replace")


def _lines(text: str, pattern: re.Pattern[str], limit: int = 5) -> list[tuple[int, str]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("#") and not stripped.startswith("#!"):
            continue  # a comment in YAML, TOML, shell, Dockerfile
        m = pattern.search(line)
        if m:
            out.append((n, m.group(0).strip()))
            if len(out) >= limit:
                break
    return out


def _classify(repo: Repo, root: Path, rel: str, read_dependencies) -> None:
    parts = rel.split("/")
    name = parts[-1]
    lower = name.lower()
    if name.endswith((".py", ".pyi", ".pyc")):
        if _BENCH_NAMES.search(rel) or (len(parts) > 1 and any(p in K.BENCH_DIRS for p in parts[:-1])):
            repo.benchmarks.append(Hit(rel, None, "benchmark code"))
        if any(p in K.EXAMPLE_DIRS for p in parts[:-1]):
            repo.examples.append(rel)
        return
    if len(parts) > 1 and any(p in K.EXAMPLE_DIRS for p in parts[:-1]):
        repo.examples.append(rel)
    elif lower.endswith(".ipynb") or re.search(r"(^|[._-])examples?([._-]|$)", lower):
        repo.examples.append(rel)
    if len(parts) > 1 and any(p in K.BENCH_DIRS for p in parts[:-1]) or _BENCH_NAMES.search(rel):
        repo.benchmarks.append(Hit(rel, None, "benchmark"))
    if len(parts) == 1 and _README.fullmatch(name) and repo.readme is None:
        _readme(repo, root, rel)
        return
    if (parts[0] in ("docs", "doc", "documentation") and lower.endswith(_DOC_EXT)) or name in ("mkdocs.yml", "mkdocs.yaml"):
        repo.docs.append(rel)
        if lower.endswith(_DOC_EXT) and len(repo.doc_texts) < 200:
            text = read_text(root / rel)
            if text is not None:
                repo.doc_texts[rel] = text
    if _CHANGELOG.fullmatch(name) and len(parts) <= 2 and repo.changelog is None:
        repo.changelog = Hit(rel, None, "changelog")
    if _LOCKS.search(rel):
        repo.locks.append(Hit(rel, None, "lock file"))
    elif _REQUIREMENTS.search(rel) and len(parts) <= 3:
        _requirements(repo, root, rel, read_dependencies)
    if name == "pyproject.toml" and len(parts) == 1:
        _pyproject(repo, root, rel, read_dependencies)
    elif name == "setup.cfg" and len(parts) == 1:
        _setup_cfg(repo, root, rel)
    elif name in ("tox.ini",) and len(parts) == 1:
        text = read_text(root / rel) or ""
        for n, what in _lines(text, _AUDIT_STEP, 2):
            repo.audits.append(Hit(rel, n, what))
        for m in _CFG_SECTION.finditer(text):
            _tool_section(repo, rel, text, m.group(1), m.start())
    if _BOTS.search(rel):
        repo.bots.append(Hit(rel, None, "dependency update bot"))
    if _CI_FILES.search(rel):
        _ci(repo, root, rel)
    if name == ".pre-commit-config.yaml" and len(parts) == 1:
        _pre_commit(repo, root, rel)
    if name in _LINTER_FILES:
        repo.linters.append(Hit(rel, None, _LINTER_FILES[name]))
    if name in _TYPECHECKER_FILES:
        repo.typecheckers.append(Hit(rel, None, _TYPECHECKER_FILES[name]))
    if _DEPLOY.search(rel) or (lower.endswith((".yaml", ".yml")) and (
            len(parts) == 1 or any(p in _K8S_DIRS for p in parts[:-1]))):
        _deploy(repo, root, rel)


def _readme(repo: Repo, root: Path, rel: str) -> None:
    text = read_text(root / rel) or ""
    repo.readme = Hit(rel, None, "README")
    repo.readme_text = text
    in_code = False
    previous = ""
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            if not in_code:
                repo.readme_code_blocks.append(Hit(rel, n, stripped[3:].strip() or "code"))
            in_code = not in_code
            continue
        if in_code or stripped.startswith(".. code"):
            if _CLIENT_CONFIG.search(line) and len(repo.client_config) < 3:
                repo.client_config.append(Hit(rel, n, _CLIENT_CONFIG.search(line).group(0)))
            if stripped.startswith(".. code"):
                repo.readme_code_blocks.append(Hit(rel, n, "code"))
            continue
        m = _HEADING.match(line)
        if m:
            repo.readme_headings.append(Hit(rel, n, m.group(2)))
        elif stripped and set(stripped) <= set("=-~^") and len(stripped) >= 3 and previous.strip():
            repo.readme_headings.append(Hit(rel, n - 1, previous.strip()))  # reStructuredText
        previous = line


def _dependencies(repo: Repo, rel: str, found: list[tuple[str, int]] | None) -> None:
    for dep, line in found or ():
        repo.dependencies.setdefault(dep, Hit(rel, line, dep))


def _requirements(repo: Repo, root: Path, rel: str, read_dependencies) -> None:
    text = read_text(root / rel) or ""
    repo.manifests.append(rel)
    head = text[:2000].lower()
    if "--hash=" in text:
        repo.locks.append(Hit(rel, None, "requirements with --hash"))
    elif "pip-compile" in head or "uv pip compile" in head or "autogenerated by uv" in head or "uv export" in head:
        repo.locks.append(Hit(rel, None, "compiled requirements"))
    if read_dependencies is not None and rel.endswith(".txt"):
        _dependencies(repo, rel, read_dependencies(root / rel))


def _pyproject(repo: Repo, root: Path, rel: str, read_dependencies) -> None:
    text = read_text(root / rel) or ""
    repo.manifests.append(rel)
    if read_dependencies is not None:
        _dependencies(repo, rel, read_dependencies(root / rel))
    section = ""
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        m = re.match(r"^\[([^\]]+)\]", stripped)
        if m:
            section = m.group(1).strip()
            continue
        if section in ("project", "tool.poetry") and re.match(r"^version\s*=", stripped) and repo.package_version is None:
            repo.package_version = Hit(rel, n, f"[{section}] {stripped}")
        elif section == "project" and re.match(r"^dynamic\s*=.*[\"']version[\"']", stripped) and repo.package_version is None:
            repo.package_version = Hit(rel, n, "version from the build backend (dynamic)")
    for m in _TOML_LINTERS.finditer(text):
        repo.linters.append(Hit(rel, text.count("\n", 0, m.start()) + 1, m.group(1)))
    for m in _TOML_TYPECHECKERS.finditer(text):
        repo.typecheckers.append(Hit(rel, text.count("\n", 0, m.start()) + 1, m.group(1)))
    if re.search(r"pytest-benchmark|pytest_benchmark|asv\b|locust\b|pyperf\b", text):
        n = next((i for i, line in enumerate(text.splitlines(), 1) if re.search(r"pytest-benchmark|asv\b|locust\b|pyperf\b", line)), None)
        repo.benchmarks.append(Hit(rel, n, "benchmark tool declared"))
    for n, what in _lines(text, _AUDIT_STEP, 2):
        repo.audits.append(Hit(rel, n, what))


def _tool_section(repo: Repo, rel: str, text: str, tool: str, offset: int) -> None:
    line = text.count("\n", 0, offset) + 1
    if tool == "mypy":
        repo.typecheckers.append(Hit(rel, line, tool))
    else:
        repo.linters.append(Hit(rel, line, tool))


def _setup_cfg(repo: Repo, root: Path, rel: str) -> None:
    text = read_text(root / rel) or ""
    repo.manifests.append(rel)
    section = ""
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^\[([^\]]+)\]", line.strip())
        if m:
            section = m.group(1)
        elif section == "metadata" and re.match(r"^version\s*=", line.strip()) and repo.package_version is None:
            repo.package_version = Hit(rel, n, f"[metadata] {line.strip()}")
    for m in _CFG_SECTION.finditer(text):
        _tool_section(repo, rel, text, m.group(1), m.start())


def _ci(repo: Repo, root: Path, rel: str) -> None:
    text = read_text(root / rel) or ""
    repo.ci_files.append(rel)
    for n, what in _lines(text, _TEST_STEP, 3):
        repo.ci_tests.append(Hit(rel, n, what))
    for n, what in _lines(text, _AUDIT_STEP, 2):
        repo.audits.append(Hit(rel, n, what))
    for n, what in _lines(text, re.compile("|".join(re.escape(x) for x in K.TRACKING_LAUNCHERS)), 1):
        repo.launchers.append(Hit(rel, n, what))


def _pre_commit(repo: Repo, root: Path, rel: str) -> None:
    text = read_text(root / rel) or ""
    for m in _PRECOMMIT_HOOK.finditer(text):
        hook = m.group(1)
        line = text.count("\n", 0, m.start()) + 1
        if hook in ("mypy", "pyright", "basedpyright", "pytype"):
            repo.typecheckers.append(Hit(rel, line, f"pre-commit {hook}"))
        elif hook in ("pip-audit", "safety", "osv-scanner"):
            repo.audits.append(Hit(rel, line, f"pre-commit {hook}"))
        elif re.match(r"(ruff|ruff-check|ruff-format|black|flake8|pylint|isort|autopep8|pyupgrade)$", hook):
            repo.linters.append(Hit(rel, line, f"pre-commit {hook}"))


def _deploy(repo: Repo, root: Path, rel: str) -> None:
    name = rel.rsplit("/", 1)[-1]
    text = read_text(root / rel) or ""
    is_k8s = name.lower().endswith((".yaml", ".yml")) and bool(_K8S_KIND.search(text)) and "apiVersion:" in text
    if not _DEPLOY.search(rel) and not is_k8s:
        return
    if name in ("app.yaml", "app.yml") and "runtime:" not in text and not is_k8s:
        return  # only Google App Engine's app.yaml
    if name.endswith((".service",)) and "[Service]" not in text:
        return
    kind = "Kubernetes manifest" if is_k8s else name
    repo.deploy.append(Hit(rel, None, kind))
    for n, what in _lines(text, _HEALTHCHECK, 2):
        repo.healthchecks.append(Hit(rel, n, what))
    for n, what in _lines(text, re.compile("|".join(re.escape(x) for x in K.TRACKING_LAUNCHERS)), 1):
        repo.launchers.append(Hit(rel, n, what))


def deploy_headings(repo: Repo, server_only: bool = False) -> list[Hit]:
    pattern = _SERVER_DEPLOY_HEADING if server_only else _DEPLOY_HEADING
    return [h for h in repo.readme_headings if pattern.search(h.note)]


def mentions(text: str, word: str) -> int | None:
    """The first line of `text` naming `word` as a whole word (a tool's name), or None."""
    if not word:
        return None
    pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
    for n, line in enumerate(text.splitlines(), 1):
        if pattern.search(line):
            return n
    return None
