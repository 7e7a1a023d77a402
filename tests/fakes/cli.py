"""Run the real ``copbot`` program in a subprocess, as a newcomer would, on its own database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_copbot(
    args: list[str],
    cwd: Path,
    stdin: str = "",
    *,
    db: Path | None = None,
    timeout: float = 120,
    **env_overrides: str,
) -> subprocess.CompletedProcess[str]:
    """``python -m copbot ARGS`` in ``cwd`` with a clean environment: no COPBOT_* or
    DATABASE_* leaking in from the developer's shell, SQLite at ``db`` (``cwd/copbot.db`` by
    default), then ``env_overrides`` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPBOT_", "DATABASE_"))}
    env["DATABASE_URL"] = f"sqlite:///{db or cwd / 'copbot.db'}"
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "copbot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
