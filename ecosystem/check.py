#!/usr/bin/env python3
"""Ecosystem check: lint a pinned corpus of real MCP servers and compare with labelled findings.

    python ecosystem/check.py                    # fetch if needed, lint, print the tables
    python ecosystem/check.py --update           # also record new findings in labels.json ("?")
    python ecosystem/check.py --reuse --show MCP101 --verdict '?'   # review a rule's findings
    python ecosystem/check.py --label KEY tp "reason"               # record a verdict

Standard library only; mcp-lint is driven through its command line (`mcp-lint check
--output-format json`), one run per package, with the package directory as working directory, so
paths read `NAME==VERSION/relative/path.py` and fingerprints are relative to the package. The
corpus (ecosystem/corpus.txt) is fetched from PyPI into `--corpus-dir` (default
~/.cache/mcp-lint-ecosystem) the first time; nothing downloaded is imported or run.

Labels (ecosystem/labels.json) are keyed by `RULE PROJECT/PATH FINGERPRINT` (PROJECT is the
normalised project name, without the version, so a label survives line moves and a version bump
that leaves the code alone). Each carries a verdict: `tp`, `fp`, `noise` or `?` (not reviewed),
and a one-line reason. See ecosystem/README.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pypi  # noqa: E402  (the sibling module)

HERE = Path(__file__).resolve().parent
VERDICTS = ("tp", "fp", "noise", "?")
LABELS_ABOUT = (
    "Verdicts on mcp-lint findings on the ecosystem corpus (ecosystem/corpus.txt), one per line, keyed by "
    "'RULE PROJECT/PATH FINGERPRINT'. verdict: tp = a real instance of what the rule describes; fp = the rule "
    "is wrong here; noise = technically right but not worth reporting; ? = not reviewed. reason: one line. "
    "'gone' keeps true positives that mcp-lint no longer reports. See ecosystem/README.md."
)
CONFIDENCES = ("high", "medium", "low")


# ---------------------------------------------------------------------------------------------
# Findings


def label_key(rule: str, project: str, relpath: str, fingerprint: str) -> str:
    return f"{rule} {pypi.normalize(project)}/{relpath} {fingerprint}"


def normalize_finding(raw: dict, name: str, version: str) -> dict:
    """A finding of mcp-lint's JSON report on one package, as the check keeps it."""
    rel = raw["path"].replace("\\", "/")
    while rel.startswith("./"):
        rel = rel[2:]
    return {
        "key": label_key(raw["id"], name, rel, raw["fingerprint"]),
        "rule": raw["id"],
        "name": raw.get("name", ""),
        "package": f"{name}=={version}",
        "file": rel,
        "line": raw["start"]["line"],
        "column": raw["start"]["column"],
        "end_line": raw.get("end", raw["start"])["line"],
        "message": raw["message"],
        "confidence": raw.get("confidence", ""),
        "severity": raw.get("severity", ""),
        "fingerprint": raw["fingerprint"],
        "trace": [trace_step(t) for t in raw.get("trace") or []],
    }


def trace_step(step: dict) -> dict:
    """One step of a finding's trace; `path` only when the step sits in another file."""
    kept = {"line": step["start"]["line"], "message": step["message"]}
    if step.get("path"):
        kept["path"] = step["path"].replace("\\", "/")
    return kept


def where(f: dict) -> str:
    return f"{f['package']}/{f['file']}:{f['line']}"


def project_of(package: str) -> str:
    return pypi.normalize(package.split("==", 1)[0])


# ---------------------------------------------------------------------------------------------
# Running mcp-lint


def find_mcp_lint(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("MCP_LINT"):
        return os.environ["MCP_LINT"]
    beside = Path(sys.executable).parent / "mcp-lint"
    if beside.is_file():
        return str(beside)
    found = shutil.which("mcp-lint")
    if not found:
        sys.exit("mcp-lint not found: install it (pip install -e .), run this script with its Python, "
                 "or pass --mcp-lint PATH")
    return found


def child_env(corpus_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "MCP_LINT_CACHE_DIR"}
    # fingerprints are relative to the git top level when there is one: keep git from finding a
    # repository around the corpus, so they are relative to the package directory
    env["GIT_CEILING_DIRECTORIES"] = str((corpus_dir / "packages").resolve())
    env.pop("NO_COLOR", None)
    return env


def neutral_config(corpus_dir: Path) -> Path:
    """An empty settings file: no pyproject.toml around the corpus can change the run."""
    path = corpus_dir / "mcp-lint-defaults.toml"
    if not path.is_file():
        corpus_dir.mkdir(parents=True, exist_ok=True)
        path.write_text("# default settings for ecosystem/check.py runs (keys at top level)\n", encoding="utf-8")
    return path


def rules_info(mcp_lint: str, corpus_dir: Path, select: list[str]) -> tuple[dict[str, dict], str]:
    """Every rule (id -> name, pack, enabled under `select`) and mcp-lint's version."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "select.toml"
        cfg.write_text("" if not select else "select = [" + ", ".join(json.dumps(s) for s in select) + "]\n",
                       encoding="utf-8")
        out = subprocess.run([mcp_lint, "rules", "--output-format", "json", "--config", str(cfg)], cwd=tmp,
                             capture_output=True, text=True, env=child_env(corpus_dir), check=False)
    if out.returncode != 0:
        sys.exit(f"`mcp-lint rules` failed ({out.returncode}): {out.stderr.strip()[-2000:]}")
    rules = {r["id"]: r for r in json.loads(out.stdout)}
    ver = subprocess.run([mcp_lint, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return rules, ver


def lint_package(mcp_lint: str, corpus_dir: Path, name: str, version: str, select: list[str],
                 timeout: float) -> dict:
    """One mcp-lint run on one package: its findings, errors and how it went."""
    pkg = pypi.package_dir(corpus_dir, name, version)
    cmd = [mcp_lint, "check", "--output-format", "json", "--no-cache", "--exit-zero", "-q", "-j", "1",
           "--config", str(neutral_config(corpus_dir))]
    for s in select:
        cmd += ["--select", s]
    cmd.append(".")
    run: dict = {"package": f"{name}=={version}", "ok": False, "findings": [], "errors": [], "stderr": "",
                 "returncode": None, "files_examined": 0}
    t0 = time.monotonic()
    try:
        out = subprocess.run(cmd, cwd=pkg, capture_output=True, text=True, timeout=timeout,
                             env=child_env(corpus_dir), check=False)
    except subprocess.TimeoutExpired:
        run["problem"] = f"mcp-lint ran over {timeout:.0f} s"
        run["seconds"] = round(time.monotonic() - t0, 2)
        return run
    run["seconds"] = round(time.monotonic() - t0, 2)
    run["returncode"] = out.returncode
    run["stderr"] = out.stderr.strip()[-4000:]
    try:
        doc = json.loads(out.stdout)
    except ValueError:
        run["problem"] = f"no JSON report (exit {out.returncode}): {run['stderr'][-300:] or out.stdout[:300]}"
        return run
    run["ok"] = True
    run["files_examined"] = doc.get("files_examined", 0)
    run["findings"] = [normalize_finding(f, name, version) for f in doc.get("findings", [])]
    run["errors"] = [{"package": run["package"], **e} for e in doc.get("errors", [])]
    if out.returncode not in (0, 1):
        run["problem"] = f"mcp-lint exited {out.returncode}"
    return run


def fetch_all(pins: list[tuple[str, str]], corpus_dir: Path, workers: int = 8) -> dict[str, str]:
    """Fetch missing packages; returns the ones that failed, with the reason."""
    missing = [(n, v) for n, v in pins if not pypi.is_fetched(corpus_dir, n, v)]
    failed: dict[str, str] = {}
    if not missing:
        return failed
    print(f"fetching {len(missing)} package(s) into {corpus_dir} ...", file=sys.stderr)
    with cf.ThreadPoolExecutor(workers) as ex:
        futs = {ex.submit(pypi.fetch_pinned, corpus_dir, n, v): f"{n}=={v}" for n, v in missing}
        for fut in cf.as_completed(futs):
            try:
                fut.result()
            except pypi.FetchError as exc:
                failed[futs[fut]] = str(exc)
                print(f"  FAILED {futs[fut]}: {exc}", file=sys.stderr)
    return failed


def run_corpus(args, pins: list[tuple[str, str]], corpus_dir: Path) -> dict:
    """Fetch, lint every package (in parallel), and gather everything the report needs."""
    mcp_lint = find_mcp_lint(args.mcp_lint)
    select = [s.strip() for arg in args.select for s in arg.split(",") if s.strip()]
    rules, version = rules_info(mcp_lint, corpus_dir, select)
    t0 = time.monotonic()
    failed = {} if args.no_fetch else fetch_all(pins, corpus_dir)
    for n, v in pins:
        if f"{n}=={v}" not in failed and not pypi.is_fetched(corpus_dir, n, v):
            failed[f"{n}=={v}"] = "not fetched (--no-fetch)"
    todo = [(n, v) for n, v in pins if f"{n}=={v}" not in failed]
    # the biggest packages first, so that the pool does not wait on one at the end
    todo.sort(key=lambda p: -sum(f.stat().st_size for f in pypi.package_dir(corpus_dir, *p).rglob("*.py")))
    runs: list[dict] = []
    t_lint = time.monotonic()
    with cf.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futs = [ex.submit(lint_package, mcp_lint, corpus_dir, n, v, select, args.timeout) for n, v in todo]
        for i, fut in enumerate(cf.as_completed(futs), 1):
            r = fut.result()
            runs.append(r)
            if sys.stderr.isatty():
                print(f"\r  linted {i}/{len(todo)}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    lint_seconds = time.monotonic() - t_lint
    runs.sort(key=lambda r: r["package"].lower())
    files = lines = 0
    for n, v in todo:
        f, ln = pypi.count_lines(pypi.package_dir(corpus_dir, n, v))
        files += f
        lines += ln
    findings = sorted((f for r in runs for f in r["findings"]),
                      key=lambda f: (f["package"].lower(), f["file"], f["line"], f["column"], f["rule"]))
    return {
        "mcp_lint": version,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "select": select,
        "rules": {rid: {"name": r["name"], "pack": r.get("pack"), "enabled": r.get("enabled")} for rid, r in rules.items()},
        "rules_run": sorted(rid for rid, r in rules.items() if r.get("enabled")),
        "corpus": {"packages": len(pins), "linted": sum(r["ok"] for r in runs), ".py files": files, "lines": lines,
                   "files_examined": sum(r["files_examined"] for r in runs)},
        "seconds": {"total": round(time.monotonic() - t0, 1), "lint": round(lint_seconds, 1), "jobs": args.jobs},
        "failed": {**failed, **{r["package"]: r["problem"] for r in runs if r.get("problem")}},
        "packages_ok": sorted(r["package"] for r in runs if r["ok"]),
        "errors": [e for r in runs for e in r["errors"]],
        "stderr": {r["package"]: r["stderr"] for r in runs if r["stderr"]},
        "package_seconds": {r["package"]: r["seconds"] for r in runs},
        "findings": findings,
    }


# ---------------------------------------------------------------------------------------------
# Labels


def load_labels(path: Path) -> dict:
    if not path.is_file():
        return {"about": LABELS_ABOUT, "labels": {}, "gone": {}}
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.setdefault("labels", {})
    doc.setdefault("gone", {})
    for section in ("labels", "gone"):
        for key, lab in doc[section].items():
            if lab.get("verdict") not in VERDICTS:
                raise SystemExit(f"{path}: {key}: verdict {lab.get('verdict')!r} is not one of {', '.join(VERDICTS)}")
    return doc


LABEL_FIELDS = ("verdict", "reason", "rule", "package", "file", "line", "message", "gone_since")


def _label_sort(item: tuple[str, dict]) -> tuple:
    key, lab = item
    return (lab.get("package", "").lower(), lab.get("file", ""), lab.get("line", 0), lab.get("rule", ""), key)


def dump_labels(doc: dict) -> str:
    """labels.json text: one label per line, sorted by package, file and line (readable diffs)."""
    def obj(lab: dict) -> str:
        ordered = {k: lab[k] for k in LABEL_FIELDS if k in lab}
        ordered.update({k: v for k, v in lab.items() if k not in ordered})
        return json.dumps(ordered, ensure_ascii=False)

    def section(name: str) -> str:
        items = sorted(doc.get(name, {}).items(), key=_label_sort)
        if not items:
            return f'  "{name}": {{}}'
        body = ",\n".join(f"    {json.dumps(k, ensure_ascii=False)}: {obj(v)}" for k, v in items)
        return f'  "{name}": {{\n{body}\n  }}'

    head = {k: v for k, v in doc.items() if k not in ("labels", "gone")}
    head.setdefault("about", LABELS_ABOUT)
    lines = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in head.items()]
    return "{\n" + ",\n".join([*lines, section("labels"), section("gone")]) + "\n}\n"


def excerpt(message: str, n: int = 120) -> str:
    return message if len(message) <= n else message[: n - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Comparison


@dataclass
class Scope:
    """What a run looked at: labels outside it are neither gone nor counted."""
    rules: set[str] | None = None        # rule ids that ran (None: all)
    projects: set[str] | None = None     # normalised project names linted successfully (None: all)

    def covers(self, rule: str, package: str) -> bool:
        return ((self.rules is None or rule in self.rules)
                and (self.projects is None or project_of(package) in self.projects))


@dataclass
class Comparison:
    rows: dict[str, Counter] = field(default_factory=dict)            # rule -> counts
    by_confidence: dict[str, Counter] = field(default_factory=dict)   # confidence -> counts
    security: Counter = field(default_factory=Counter)
    total: Counter = field(default_factory=Counter)
    new: list[dict] = field(default_factory=list)        # findings with no label
    back: list[dict] = field(default_factory=list)       # findings whose label was in "gone"
    gone: list[dict] = field(default_factory=list)       # labels (section "labels") not reported now
    still_gone: list[dict] = field(default_factory=list)  # entries of "gone" still not reported
    verdict_of: dict[str, str] = field(default_factory=dict)  # finding key -> verdict

    @property
    def regressions(self) -> list[dict]:
        return [g for g in (*self.gone, *self.still_gone) if g["verdict"] == "tp"]


def _bucket(verdict: str | None) -> str:
    return verdict if verdict in ("tp", "fp", "noise") else "unlabeled"


def compare(findings: list[dict], labels: dict, scope: Scope | None = None) -> Comparison:
    """Count findings by rule and verdict, and find what is new and what is gone."""
    scope = scope or Scope()
    active, gone_section = labels.get("labels", {}), labels.get("gone", {})
    c = Comparison()
    current = set()
    for f in findings:
        current.add(f["key"])
        lab = active.get(f["key"])
        if lab is None and f["key"] in gone_section:
            lab = gone_section[f["key"]]
            c.back.append({**f, "verdict": lab["verdict"], "reason": lab.get("reason", "")})
        elif lab is None:
            c.new.append(f)
        verdict = lab["verdict"] if lab else None
        c.verdict_of[f["key"]] = verdict or "?"
        b = _bucket(verdict)
        for counter in (c.rows.setdefault(f["rule"], Counter()),
                        c.by_confidence.setdefault(f.get("confidence") or "?", Counter()), c.total):
            counter["findings"] += 1
            counter[b] += 1
        security = f["rule"].startswith("MCP1")
        if security:
            c.security["findings"] += 1
            c.security[b] += 1
        if lab is None:
            for counter in (c.rows[f["rule"]], c.total, *((c.security,) if security else ())):
                counter["new"] += 1
    for section, out in ((active, c.gone), (gone_section, c.still_gone)):
        for key, lab in section.items():
            if key in current or not scope.covers(lab.get("rule", ""), lab.get("package", "")):
                continue
            out.append({"key": key, **lab})
            if section is active:
                rule = lab.get("rule", "?")
                for counter in (c.rows.setdefault(rule, Counter()), c.total,
                                *((c.security,) if rule.startswith("MCP1") else ())):
                    counter["gone"] += 1
    c.gone.sort(key=lambda g: _label_sort((g["key"], g)))
    c.still_gone.sort(key=lambda g: _label_sort((g["key"], g)))
    return c


def precision(counts: Counter, strict: bool = False) -> float | None:
    den = counts["tp"] + counts["fp"] + (counts["noise"] if strict else 0)
    return None if den == 0 else counts["tp"] / den


def update_labels(labels: dict, findings: list[dict], comparison: Comparison, stamp: str) -> tuple[dict, Counter]:
    """labels.json after a run: new findings added as "?", positions refreshed, gone labels
    dropped, except true positives, which move to "gone"."""
    active = dict(labels.get("labels", {}))
    gone_section = dict(labels.get("gone", {}))
    stats: Counter = Counter()
    for f in findings:
        lab = active.get(f["key"])
        if lab is None and f["key"] in gone_section:
            lab = {k: v for k, v in gone_section.pop(f["key"]).items() if k != "gone_since"}
            stats["back"] += 1
        elif lab is None:
            lab = {"verdict": "?", "reason": ""}
            stats["added"] += 1
        lab.update(rule=f["rule"], package=f["package"], file=f["file"], line=f["line"],
                   message=excerpt(f["message"]))
        active[f["key"]] = lab
    for g in comparison.gone:
        lab = active.pop(g["key"])
        if lab["verdict"] == "tp":
            gone_section[g["key"]] = {**lab, "gone_since": stamp}
            stats["tp moved to gone"] += 1
        else:
            stats[f"dropped ({lab['verdict']})"] += 1
    return {**{k: v for k, v in labels.items() if k not in ("labels", "gone")}, "labels": active, "gone": gone_section}, stats


def set_label(labels: dict, key: str, verdict: str, reason: str) -> str:
    """Record a verdict; `key` is a full key or a fingerprint (or a unique part of a key)."""
    if verdict not in VERDICTS:
        raise SystemExit(f"verdict must be one of {', '.join(VERDICTS)}")
    for section in ("labels", "gone"):
        if key in labels[section]:
            labels[section][key].update(verdict=verdict, reason=reason)
            return key
    matches = [(s, k) for s in ("labels", "gone") for k in labels[s] if k.endswith(" " + key) or key in k]
    if len(matches) != 1:
        raise SystemExit(f"{key!r} matches {len(matches)} labels" + (": " + "; ".join(k for _, k in matches[:5]) if matches else ""))
    s, k = matches[0]
    labels[s][k].update(verdict=verdict, reason=reason)
    return k


# ---------------------------------------------------------------------------------------------
# Output


class Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


def fmt_pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def table_rows(c: Comparison, rules: dict[str, dict]) -> list[dict]:
    rows = []
    for rid in sorted(c.rows):
        rows.append({"rule": rid, "name": rules.get(rid, {}).get("name", ""), **_counts(c.rows[rid])})
    rows.append({"rule": "MCP1xx", "name": "security rules", **_counts(c.security)})
    rows.append({"rule": "all", "name": "", **_counts(c.total)})
    return rows


def _counts(k: Counter) -> dict:
    return {"findings": k["findings"], "tp": k["tp"], "fp": k["fp"], "noise": k["noise"], "unlabeled": k["unlabeled"],
            "new": k["new"], "gone": k["gone"], "precision": precision(k), "strict_precision": precision(k, strict=True)}


def print_table(rows: list[dict], first: str, out) -> None:
    cols = [(first, "<"), ("findings", ">"), ("TP", ">"), ("FP", ">"), ("noise", ">"), ("unlabeled", ">"),
            ("precision", ">"), ("strict", ">"), ("new", ">"), ("gone", ">")]
    data = [[r["label"], str(r["findings"]), str(r["tp"]), str(r["fp"]), str(r["noise"]), str(r["unlabeled"]),
             fmt_pct(r["precision"]), fmt_pct(r["strict_precision"]), str(r.get("new", "")), str(r.get("gone", ""))]
            for r in rows]
    widths = [max(len(h), *(len(d[i]) for d in data)) if data else len(h) for i, (h, _) in enumerate(cols)]
    print("  ".join(f"{h:{a}{w}}" for (h, a), w in zip(cols, widths)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r, d in zip(rows, data):
        if r.get("sep"):
            print("  ".join("-" * w for w in widths), file=out)
        print("  ".join(f"{v:{a}{w}}" for v, (_, a), w in zip(d, cols, widths)), file=out)


def report(run: dict, c: Comparison, labels_path: Path, style: Style, limit: int, out=None) -> None:
    out = out or sys.stdout
    corpus = run["corpus"]
    print(f"mcp-lint {run['mcp_lint'].removeprefix('mcp-lint ')} on {corpus['linted']}/{corpus['packages']} packages "
          f"({corpus['.py files']} .py files, {corpus['lines']} lines; {corpus['files_examined']} files examined), "
          f"{len(run['findings'])} findings"
          + (f"; --select {','.join(run['select'])}" if run.get("select") else "")
          + (f"; {run['seconds']['total']} s (lint {run['seconds']['lint']} s, -j {run['seconds']['jobs']})"
             if run.get("seconds") else ""), file=out)
    if run.get("filtered") is not None:
        print(f"(--package: {run['filtered']} of these packages shown)", file=out)
    print(f"labels: {labels_path}", file=out)
    if run.get("failed"):
        print(style(f"\n{len(run['failed'])} package(s) not checked:", "1;31"), file=out)
        for pkg, why in sorted(run["failed"].items()):
            print(f"  {pkg}: {why}", file=out)
    if run.get("errors"):
        print(style(f"\n{len(run['errors'])} internal error(s) reported by mcp-lint:", "1;31"), file=out)
        for e in run["errors"]:
            line = f":{e['line']}" if e.get("line") else ""
            print(f"  {e['package']}/{e['path']}{line}: {e.get('rule') or '-'}: {e['message']}", file=out)
    mcp001 = [f for f in run["findings"] if f["rule"] == "MCP001"]
    if mcp001:
        print(f"\n{len(mcp001)} file(s) not analysed (MCP001):", file=out)
        for f in mcp001:
            print(f"  {where(f)}: {f['message']}", file=out)

    rows = table_rows(c, run.get("rules", {}))
    print("\nper rule (precision = TP/(TP+FP), strict = TP/(TP+FP+noise); new = no label yet, gone = labelled, "
          "not reported now)", file=out)
    for r in rows:
        r["label"] = r["rule"] if r["rule"] in ("MCP1xx", "all") else f"{r['rule']} {r['name']}"
        r["sep"] = r["rule"] == "MCP1xx"
    print_table(rows, "rule", out)
    silent = [rid for rid in run.get("rules_run", []) if rid not in c.rows]
    if silent:
        print(f"enabled, no findings: {', '.join(silent)}", file=out)

    print("\nper confidence", file=out)
    conf_rows = [{"label": k, **_counts(c.by_confidence[k])}
                 for k in (*CONFIDENCES, *sorted(set(c.by_confidence) - set(CONFIDENCES))) if k in c.by_confidence]
    for r in conf_rows:
        r.pop("new")
        r.pop("gone")
    print_table(conf_rows, "confidence", out)

    def listing(title: str, items: list[dict], fmt, color: str | None = None, cap: int | None = limit) -> None:
        if not items:
            return
        print(style(f"\n{title} ({len(items)})", color or "1"), file=out)
        shown = items if cap is None or cap < 0 else items[:cap]
        for it in shown:
            print("  " + fmt(it), file=out)
        if len(shown) < len(items):
            print(f"  ... and {len(items) - len(shown)} more (--limit -1 lists all; --json writes them)", file=out)

    def fmt_f(f: dict) -> str:
        return f"{where(f)}: {f['rule']} {f['message']}"

    def fmt_l(g: dict) -> str:
        text = f"{g.get('package', '?')}/{g.get('file', '?')}:{g.get('line', '?')}: {g.get('rule', '?')} {g.get('message', '')}"
        text += f"  [{g['verdict']}{': ' + g['reason'] if g.get('reason') else ''}]"
        return style(text, "1;31") if g["verdict"] == "tp" else text

    listing("new findings (no label)", c.new, fmt_f)
    listing("labelled findings back after being gone", c.back, lambda f: f"{fmt_f(f)}  [{f['verdict']}]")
    gone_tp = [g for g in c.gone if g["verdict"] == "tp"]
    gone_other = [g for g in c.gone if g["verdict"] != "tp"]
    listing("RECALL REGRESSIONS: labelled true positives no longer reported", gone_tp, fmt_l, "1;31", cap=None)
    listing("true positives recorded as gone, still not reported",
            [g for g in c.still_gone if g["verdict"] == "tp"], fmt_l, "1;31", cap=None)
    listing("gone findings labelled fp/noise/? (no longer reported)", gone_other, fmt_l)
    if not c.regressions:
        print("\nno labelled true positive is missing", file=out)


def show(run: dict, c: Comparison, labels: dict, corpus_dir: Path, rule_sel: list[str], verdicts: set[str] | None,
         context: int, style: Style, out=None) -> int:
    """Every current finding of the selected rules (and their gone labels) with code around it."""
    out = out or sys.stdout
    def wanted(rule: str) -> bool:
        return any(rule == s or rule.startswith(s) for s in rule_sel)

    items = [f for f in run["findings"] if wanted(f["rule"])]
    if verdicts is not None:
        items = [f for f in items if c.verdict_of.get(f["key"], "?") in verdicts]
    active, gone_section = labels["labels"], labels["gone"]
    for i, f in enumerate(items, 1):
        lab = active.get(f["key"]) or gone_section.get(f["key"]) or {}
        verdict = lab.get("verdict", "?")
        print(style(f"[{i}/{len(items)}] {where(f)}:{f['column']}: {f['rule']} {f['message']}", "1"), file=out)
        print(f"    verdict: {verdict}" + (f" ({lab['reason']})" if lab.get("reason") else "")
              + f"   confidence: {f.get('confidence')}   key: {f['key']}", file=out)
        for t in f.get("trace") or []:
            where_step = f"{t['path']}:{t['line']}" if t.get("path") else f"line {t['line']}"
            print(f"    flow: {where_step}: {t['message']}", file=out)
        path = pypi.package_dir(corpus_dir, *f["package"].split("==", 1)) / f["file"]
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            print(f"    (cannot read {path}: {exc})", file=out)
            lines = []
        start = max(1, f["line"] - context)
        end = min(f.get("end_line", f["line"]), f["line"] + 2 * context)
        stop = min(len(lines), max(f["line"] + context, end + 1))
        for n in range(start, stop + 1):
            mark = ">" if f["line"] <= n <= f.get("end_line", f["line"]) else " "
            text = f"  {mark}{n:6d} | {lines[n - 1]}"
            print(style(text, "33") if mark == ">" else text, file=out)
        print(file=out)
    gone = [g for g in (*c.gone, *c.still_gone) if wanted(g.get("rule", ""))
            and (verdicts is None or g["verdict"] in verdicts)]
    for g in gone:
        print(style(f"GONE {g.get('package')}/{g.get('file')}:{g.get('line')}: {g.get('rule')} {g.get('message')}"
                    f"  [{g['verdict']}: {g.get('reason', '')}]", "1;31" if g["verdict"] == "tp" else "1"), file=out)
    print(f"{len(items)} finding(s)" + (f", {len(gone)} gone label(s)" if gone else "")
          + f" of {','.join(rule_sel)}" + (f" with verdict {','.join(sorted(verdicts))}" if verdicts else ""), file=out)
    return len(items)


def json_report(run: dict, c: Comparison) -> dict:
    return {
        "mcp_lint": run["mcp_lint"], "date": run.get("date"), "select": run.get("select"), "corpus": run["corpus"],
        "seconds": run.get("seconds"), "failed": run.get("failed", {}), "internal_errors": run.get("errors", []),
        "rules": table_rows(c, run.get("rules", {})),
        "confidence": {k: _counts(v) for k, v in c.by_confidence.items()},
        "new": [{k: f[k] for k in ("key", "rule", "package", "file", "line", "message", "confidence")} for f in c.new],
        "gone": c.gone, "still_gone": c.still_gone, "regressions": c.regressions,
    }


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=HERE / "corpus.txt", help="pinned package list")
    ap.add_argument("--labels", type=Path, default=HERE / "labels.json")
    ap.add_argument("--corpus-dir", type=Path, default=pypi.DEFAULT_CORPUS_DIR,
                    help="where packages are downloaded and unpacked (default ~/.cache/mcp-lint-ecosystem)")
    ap.add_argument("--mcp-lint", help="the mcp-lint executable (default: beside this Python, else on PATH)")
    ap.add_argument("--select", action="append", default=[], help="passed to mcp-lint (comma-separated, repeatable)")
    ap.add_argument("--package", action="append", default=[], help="only packages whose name matches (glob)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="mcp-lint runs in parallel")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per package")
    ap.add_argument("--no-fetch", action="store_true", help="do not download missing packages")
    ap.add_argument("--findings", type=Path, help="read a saved run (see --save) instead of linting")
    ap.add_argument("--reuse", action="store_true", help="read the last run saved in the corpus directory")
    ap.add_argument("--save", type=Path, help="also save this run's findings here (always saved as "
                                               "<corpus-dir>/last-run.json)")
    ap.add_argument("--update", action="store_true", help="write new findings (verdict ?) into the labels file")
    ap.add_argument("--show", help="print each finding of these rules (ids or prefixes, comma-separated) with code")
    ap.add_argument("--verdict", help="with --show: only these verdicts (comma-separated: tp,fp,noise,?)")
    ap.add_argument("--context", type=int, default=4, help="with --show: lines of code before and after")
    ap.add_argument("--label", nargs=3, metavar=("KEY", "VERDICT", "REASON"),
                    help="record a verdict (KEY: a label key or its fingerprint) and exit")
    ap.add_argument("--json", type=Path, help="write the tables and lists as JSON")
    ap.add_argument("--limit", type=int, default=100, help="findings listed per section (-1: all)")
    ap.add_argument("--fail-on-regression", action="store_true", help="exit 1 when a labelled true positive is gone")
    ap.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    args = ap.parse_args(argv)
    corpus_dir = args.corpus_dir.expanduser()
    style = Style(args.color == "always" or (args.color == "auto" and sys.stdout.isatty()
                                             and not os.environ.get("NO_COLOR")))
    labels = load_labels(args.labels)

    if args.label:
        key = set_label(labels, *args.label)
        args.labels.write_text(dump_labels(labels), encoding="utf-8")
        print(f"{key}: {args.label[1]}")
        return 0

    pins = pypi.read_pins(args.corpus)
    if args.package:
        pins = [(n, v) for n, v in pins if any(fnmatch.fnmatch(n.lower(), p.lower()) for p in args.package)]
        if not pins:
            sys.exit("no package matches --package")
    if args.reuse and not args.findings:
        args.findings = corpus_dir / "last-run.json"
    if args.findings:
        run = json.loads(args.findings.read_text(encoding="utf-8"))
        if args.package:
            keep = {f"{n}=={v}" for n, v in pins}
            run["findings"] = [f for f in run["findings"] if f["package"] in keep]
            run["packages_ok"] = [p for p in run.get("packages_ok", []) if p in keep]
            run["failed"] = {p: why for p, why in run.get("failed", {}).items() if p in keep}
            run["errors"] = [e for e in run.get("errors", []) if e.get("package") in keep]
            run["filtered"] = len(run["packages_ok"])
        print(f"(findings of the run of {run.get('date', '?')} read from {args.findings})", file=sys.stderr)
    else:
        run = run_corpus(args, pins, corpus_dir)
        corpus_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(run, ensure_ascii=False)
        (corpus_dir / "last-run.json").write_text(text, encoding="utf-8")
        if args.save:
            args.save.write_text(text, encoding="utf-8")

    scope = Scope(rules=set(run["rules_run"]) if run.get("rules_run") else None,
                  projects={project_of(p) for p in run["packages_ok"]} if "packages_ok" in run else None)
    c = compare(run["findings"], labels, scope)

    if args.show:
        verdicts = None if not args.verdict else {v.strip() for v in args.verdict.split(",")}
        show(run, c, labels, corpus_dir, [s.strip() for s in args.show.split(",") if s.strip()], verdicts,
             args.context, style)
    else:
        report(run, c, args.labels, style, args.limit)
    if args.json:
        args.json.write_text(json.dumps(json_report(run, c), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.update:
        stamp = f"{dt.date.today().isoformat()} {run['mcp_lint']}".strip()
        new_labels, stats = update_labels(labels, run["findings"], c, stamp)
        args.labels.write_text(dump_labels(new_labels), encoding="utf-8")
        print(f"\nupdated {args.labels}: " + (", ".join(f"{v} {k}" for k, v in sorted(stats.items())) or "no change")
              + f"; {len(new_labels['labels'])} labels, {len(new_labels['gone'])} gone", file=sys.stderr)
    if args.fail_on_regression and c.regressions:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
