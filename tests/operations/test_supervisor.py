"""`make run` supervises its processes (issue 15, item 2): scripts/supervisord.conf, the file run.sh uses,
started for real; a child killed with SIGKILL is logged and started again, and SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.operations.conftest import postgres
from tests.operations.processes import app_env, free_port, healthy, wait_until

ROOT = Path(__file__).resolve().parents[2]
SUPERVISORD = Path(sys.executable).parent / "supervisord"
PROGRAMS = (("worker", "run_worker"), ("scheduler", "run_scheduler"), ("web", "uvicorn"))


def _children(pid: int) -> dict[str, int]:
    """The supervised processes by program: worker, scheduler, web."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            for program, marker in (
                ("worker", "run_worker"),
                ("scheduler", "run_scheduler"),
                ("web", "uvicorn"),
            ):
                if marker in cmdline:
                    found[program] = int(child)
    return found


def test_a_killed_child_is_restarted_and_sigterm_stops_all(tmp_path: Path) -> None:
    if postgres():
        pytest.skip("the supervisor runs its own SQLite database: once, in the SQLite pass, is enough")
    if not SUPERVISORD.exists():
        pytest.fail(f"{SUPERVISORD} is missing: supervisor is a dependency in pyproject.toml")
    port = free_port()
    env = app_env(
        f"sqlite:///{tmp_path / 'pvz.sqlite3'}",
        PVZ_ROOT=str(ROOT),
        PVZ_RUN_DIR=str(tmp_path),
        PVZ_HOST="127.0.0.1",
        PORT=str(port),
    )
    migrate = subprocess.run(
        [sys.executable, "-m", "pvz", "migrate", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    log = tmp_path / "supervisord.log"
    with log.open("ab") as out:
        supervisor = subprocess.Popen(
            [str(SUPERVISORD), "-c", str(ROOT / "scripts" / "supervisord.conf")],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"

        assert wait_until(lambda: healthy(base), timeout=60), log.read_text()[-3000:]
        assert wait_until(lambda: len(_children(supervisor.pid)) == 3, timeout=30), log.read_text()[-3000:]
        before = _children(supervisor.pid)

        os.kill(before["worker"], signal.SIGKILL)
        assert wait_until(
            lambda: _children(supervisor.pid).get("worker") not in (None, before["worker"]), timeout=30
        ), log.read_text()[-3000:]
        text = log.read_text()
        assert "exited: worker (terminated by SIGKILL; not expected)" in text
        assert text.count("spawned: 'worker'") == 2
        after = _children(supervisor.pid)
        assert after["web"] == before["web"] and after["scheduler"] == before["scheduler"]
        assert healthy(base)

        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=60)
        for pid in after.values():
            assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"{pid} outlived supervisord"
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait(timeout=10)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_run_sh_hands_over_to_supervisord() -> None:
    script = (ROOT / "scripts" / "run.sh").read_text()
    assert "exec .venv/bin/supervisord -c scripts/supervisord.conf" in script
    config = (ROOT / "scripts" / "supervisord.conf").read_text()
    for program in ("worker", "scheduler", "web"):
        assert f"[program:{program}]" in config
    assert config.count("autorestart=true") == 3
