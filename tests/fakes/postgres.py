"""A throwaway PostgreSQL server on loopback for the test session.

pytest-postgresql runs ``pg_ctl`` as the current user, and initdb refuses to run as root, which
is what CI machines here are; so this small fixture starts the server itself, as the ``postgres``
system user when the tests run as root. It listens only on 127.0.0.1 on a free port, trusts local
connections, and is deleted when the session ends.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def find_pg_bin() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` live: $PG_BIN, the PATH, or Debian's versioned folders."""
    configured = os.environ.get("PG_BIN")
    candidates = [configured] if configured else []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    candidates.extend(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True))
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"


@contextmanager
def running_server(pg_bin: Path) -> Iterator[PgServer]:
    run_as: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="copbot-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(base, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()
    log = base / "server.log"
    try:
        subprocess.run(
            [*run_as, str(pg_bin / "initdb"), "-D", str(data), "-U", "copbot",
             "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True,
        )  # fmt: skip
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {base} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [*run_as, str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
             "-w", "-t", "60", "start"],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            yield PgServer(host="127.0.0.1", port=port, user="copbot")
        finally:
            subprocess.run(
                [*run_as, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                check=False, capture_output=True,
            )  # fmt: skip
    finally:
        shutil.rmtree(base, ignore_errors=True)
