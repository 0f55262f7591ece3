"""Count agents as separate processes on 127.0.0.1 (`studienav count-agent`), each with its own
database and its region's store, for the federation and browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from studienav.counts import signatures

EUNOMIA = Path("/work/shared/data/omop-eunomia")
AGENT_REGIONS = ("03", "18", "21")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY"}
    }
    env.update(DEBUG="1", STUDIENAV_VAR_DIR=str(tmp), COUNTS_TEST_MODE="0", **extra)
    return env


@dataclass
class AgentProcess:
    """One running agent: its region, address, keys and process (ended by `stop`)."""

    region: str
    port: int
    private_key: str
    public_key: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "studienav",
                    "count-agent",
                    "--region",
                    self.region,
                    "--port",
                    str(self.port),
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"agent {self.region} ended: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise AssertionError(f"agent {self.region} did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.process = None


@pytest.fixture(scope="session")
def agent_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database for agents to copy, and the Eunomia store for three regions."""
    folder = tmp_path_factory.mktemp("agents")
    template = folder / "template.sqlite3"
    data = folder / "data"
    env = _environment(folder, DATABASE_URL=f"sqlite:///{template}", COUNTS_DATA_DIR=str(data))
    subprocess.run(
        [sys.executable, "-m", "studienav", "migrate", "-v0"], env=env, check=True, timeout=600
    )
    loader = (
        "import django; django.setup();"
        "from studienav.counts.loading import counts_load;"
        f"counts_load(region='{AGENT_REGIONS[0]}', source_dir='{EUNOMIA}')"
    )
    subprocess.run(
        [sys.executable, "-c", loader],
        env={**env, "DJANGO_SETTINGS_MODULE": "studienav.settings"},
        check=True,
        timeout=600,
    )
    # The other regions get the same data: a link to the same stored version.
    first = data / AGENT_REGIONS[0]
    for code in AGENT_REGIONS[1:]:
        (data / code).symlink_to(os.readlink(first))
    return folder


@pytest.fixture(scope="session")
def hub_keys() -> tuple[str, str]:
    """The hub's (private, public) key pair for the whole session."""
    return signatures.key_pair_new()


@pytest.fixture(scope="session")
def agent_processes(
    agent_world: Path, hub_keys: tuple[str, str]
) -> Iterator[dict[str, AgentProcess]]:
    """Three running agents (Uppsala, Örebro, Gävleborg), each with its own database copy."""
    agents: dict[str, AgentProcess] = {}
    for code in AGENT_REGIONS:
        database = agent_world / f"agent-{code}.sqlite3"
        shutil.copyfile(agent_world / "template.sqlite3", database)
        private, public = signatures.key_pair_new()
        env = _environment(
            agent_world,
            DATABASE_URL=f"sqlite:///{database}",
            COUNTS_DATA_DIR=str(agent_world / "data"),
            COUNTS_AGENT_PRIVATE_KEY=private,
            COUNTS_AGENT_HUB_KEYS=hub_keys[1],
            COUNTS_NOISE_KEY=f"noise key of region {code}",
        )
        agents[code] = AgentProcess(
            code, free_port(), private, public, env, agent_world / f"agent-{code}.log"
        )
    try:
        for agent in agents.values():
            agent.start()
        for agent in agents.values():
            agent.wait_ready()
        yield agents
    finally:
        for agent in agents.values():
            agent.stop()
