"""A file that kills or hangs the process analysing it costs that file only: it is reported as
MCP001 with the reason, and every other file is still linted, serial or parallel.

The failures are injected by patching the engine before the run: workers are forked, so
they inherit the patch (the tests need fork)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time

import pytest
from conftest import SERVER, findings, run_cli, write

from mcp_lint.check import engine as engine_module
from mcp_lint.run import pipeline, scheduler as runner
from mcp_lint.source import guard as guard_module
from mcp_lint.source.guard import Check

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="failures are injected into forked workers")


def _segfault() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def _exit() -> None:
    os._exit(3)


def _memory() -> None:
    raise MemoryError


def _hang() -> None:
    time.sleep(120)


def _spin() -> None:
    while True:  # pure Python: interruptible in-process
        pass


FAILURES = {"segfault": (_segfault, "SIGSEGV"), "exit": (_exit, "exited with status 3"),
            "memory": (_memory, "ran out of memory"), "hang": (_hang, "took longer than 3 s")}


def _inject(monkeypatch, failures: dict) -> None:
    """Files whose name starts with a failure's name fail that way while being analysed."""
    real = engine_module.Engine._analyse

    def analyse(self, module, text, path, *rest):
        name = os.path.basename(path)
        for key, (fail, _) in failures.items():
            if name.startswith(key):
                fail()
        return real(self, module, text, path, *rest)

    monkeypatch.setattr(engine_module.Engine, "_analyse", analyse)


def _tree(tmp_path, bad: list[str], good: int) -> None:
    write(tmp_path, "pyproject.toml", "[tool.mcp-lint]\nfile-timeout = 3\n")
    for name in bad:
        write(tmp_path, f"{name}.py", SERVER)
    for i in range(good):
        write(tmp_path, f"good_{i:02d}.py", SERVER)


def _check(result, bad: dict, good: int) -> None:
    assert result.exit_code == 1, result.stderr
    parse = {f["path"]: f["message"] for f in findings(result, "MCP001")}
    for name, (_, reason) in bad.items():
        assert reason in parse[f"{name}.py"], parse
    assert len(parse) == len(bad)
    linted = {f["path"] for f in findings(result, "MCP101")}
    assert linted == {f"good_{i:02d}.py" for i in range(good)}


def test_parallel_run_survives_crashes_and_hangs(tmp_path, monkeypatch):
    _inject(monkeypatch, FAILURES)
    monkeypatch.setattr(runner, "SERIAL_FILES", 1)
    monkeypatch.setattr(runner, "SERIAL_BYTES", 0)
    _tree(tmp_path, list(FAILURES), good=10)
    start = time.monotonic()
    result = run_cli("-j", "2", "--output-format", "json", ".", cwd=tmp_path)
    assert time.monotonic() - start < 30
    _check(result, FAILURES, good=10)


def test_serial_run_isolates_risky_files(tmp_path, monkeypatch):
    crashes = {k: FAILURES[k] for k in ("segfault", "exit", "hang")}
    _inject(monkeypatch, crashes)
    real = guard_module._measure

    def measure(tree, text):  # the injected files count as risky: they go to the isolated worker
        check = real(tree, text)
        return Check(risk="risky") if "# risky" in text else check

    # The guard's verdict is reached once per file (by the project scan, else by the engine).
    monkeypatch.setattr(guard_module, "_measure", measure)
    _tree(tmp_path, [], good=3)
    for name in crashes:
        write(tmp_path, f"{name}.py", SERVER + "# risky\n")
    result = run_cli("-j", "1", "--output-format", "json", ".", cwd=tmp_path)
    _check(result, crashes, good=3)


def test_serial_run_interrupts_a_file_over_its_budget(tmp_path, monkeypatch):
    _inject(monkeypatch, {"spin": (_spin, "")})
    _tree(tmp_path, ["spin"], good=2)
    start = time.monotonic()
    result = run_cli("-j", "1", "--output-format", "json", ".", cwd=tmp_path)
    assert time.monotonic() - start < 20
    _check(result, {"spin": (None, "took longer than 3 s to analyse (the `file-timeout` setting)")}, good=2)


def test_on_result_sees_every_file_once(tmp_path):
    _tree(tmp_path, [], good=3)
    write(tmp_path, "broken.py", "def f(:\n")
    from mcp_lint.packs.registry import load_registry
    from mcp_lint.source.config import load_settings
    settings = load_settings(tmp_path / "pyproject.toml", tmp_path)
    registry = load_registry(())
    rules = registry.select_layers(settings.selection_layers())
    seen = []
    files = sorted(tmp_path.glob("*.py"))
    job = runner.LintJob(rules, settings, registry.all_codes(), jobs=1)
    progress = pipeline.Progress(lambda n: None, lambda path, res: seen.append((path, len(res.findings), res.transient)))
    out = pipeline.run(files, job, tmp_path, progress=progress)
    assert sorted(p for p, _, _ in seen) == sorted(str(f) for f in files)
    assert sum(n for _, n, _ in seen) == len(out.findings)
    assert not any(transient for _, _, transient in seen)


def test_crashes_and_timeouts_are_marked_transient(tmp_path, monkeypatch):
    """A cache must not keep them: the next run may well lint the file."""
    _inject(monkeypatch, {k: FAILURES[k] for k in ("segfault", "hang")})
    monkeypatch.setattr(runner, "SERIAL_FILES", 1)
    monkeypatch.setattr(runner, "SERIAL_BYTES", 0)
    _tree(tmp_path, ["segfault", "hang"], good=2)
    write(tmp_path, "broken.py", "def f(:\n")
    from mcp_lint.packs.registry import load_registry
    from mcp_lint.source.config import load_settings
    settings = load_settings(tmp_path / "pyproject.toml", tmp_path)
    registry = load_registry(())
    rules = registry.select_layers(settings.selection_layers())
    seen = {}
    job = runner.LintJob(rules, settings, registry.all_codes(), jobs=2)
    runner.lint([(str(p), p.name) for p in sorted(tmp_path.glob("*.py"))], job,
                lambda path, res: seen.__setitem__(os.path.basename(path), res.transient), lambda message: None)
    assert seen == {"segfault.py": True, "hang.py": True, "broken.py": False, "good_00.py": False,
                    "good_01.py": False}


def test_a_budget_spent_in_native_code_abandons_the_thread_and_goes_on():
    from mcp_lint.source.guard import FileTimeout, deep_stack
    start = time.monotonic()
    with pytest.raises(FileTimeout):
        deep_stack(time.sleep, 30, timeout=0.2)  # C code: no interrupt lands until it returns
    assert time.monotonic() - start < 5
    assert deep_stack(sum, [1, 2], timeout=5) == 3  # a fresh thread takes the next file
    with pytest.raises(FileTimeout):
        deep_stack(_spin, timeout=0.2)  # Python code: interrupted in place
    assert deep_stack(sum, [3, 4]) == 7


def test_workers_that_cannot_start_fall_back_to_linting_in_process(tmp_path, monkeypatch, capsys):
    from mcp_lint.run import workers
    monkeypatch.setattr(workers, "_serve", lambda *args: os._exit(1))
    monkeypatch.setattr(runner, "SERIAL_FILES", 1)
    monkeypatch.setattr(runner, "SERIAL_BYTES", 0)
    _tree(tmp_path, [], good=4)
    result = run_cli("-j", "2", "--output-format", "json", ".", cwd=tmp_path)
    _check(result, {}, good=4)
    assert "worker processes are unavailable" in result.stderr + capsys.readouterr().err


def test_spawned_workers_give_the_same_output(tmp_path, monkeypatch):
    """Where fork is unavailable workers are spawned: rules must reach them pickled."""
    from mcp_lint.run import workers
    _tree(tmp_path, [], good=3)
    write(tmp_path, "pyproject.toml", "[tool.mcp-lint]\nfile-timeout = 120\n")  # a spawned worker imports everything
    write(tmp_path, "broken.py", "def f(:\n")
    serial = run_cli("-j", "1", "--output-format", "json", ".", cwd=tmp_path)
    monkeypatch.setattr(workers, "context", lambda: multiprocessing.get_context("spawn"))
    monkeypatch.setattr(runner, "SERIAL_FILES", 1)
    monkeypatch.setattr(runner, "SERIAL_BYTES", 0)
    spawned = run_cli("-j", "2", "--output-format", "json", ".", cwd=tmp_path)
    assert "unavailable" not in spawned.stderr
    assert spawned.stdout == serial.stdout, [f["message"] for f in spawned.json()["findings"] if f["id"] == "MCP001"]
    assert spawned.exit_code == serial.exit_code == 1


def test_a_worker_over_its_memory_budget_costs_that_file_only(tmp_path, monkeypatch):
    """Workers run under an address-space limit: a file whose analysis needs more than the budget is
    MCP001 (out of memory), and the other files keep their findings."""
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("needs /proc to measure the worker's start")
    from conftest import SERVER, run_process

    monkeypatch.setenv("MCP_LINT_WORKER_MEMORY", str(40 << 20))  # 40 MiB over what the worker starts with
    for i in range(30):
        write(tmp_path, f"good_{i:02}.py", "X = 1\n")
    write(tmp_path, "server.py", SERVER)
    rows = ",\n".join(f"    'key_{i}': [{i}, {i + 1}, {{'a': {i}, 'b': [{i}, {i}]}}]" for i in range(20000))
    write(tmp_path, "big_data.py", "DATA = {\n" + rows + "\n}\n")
    result = run_process("--output-format", "json", "-j", "2", "--no-cache", ".", cwd=tmp_path)
    doc = json.loads(result.stdout)
    by_path = {(f["path"], f["id"]): f for f in doc["findings"]}
    assert ("server.py", "MCP101") in by_path
    assert ("big_data.py", "MCP001") in by_path, result.stdout
    assert "memory" in by_path[("big_data.py", "MCP001")]["message"]
