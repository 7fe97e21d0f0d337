"""``docker-compose.yml``: what it starts, exercised here without Docker.

No Docker engine runs on the test machines, so the services' own commands (read from the
compose file) run here as they would in their containers, against the local PostgreSQL: only
the database host and the secrets folder are swapped for local ones.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.feedserver import FeedServer
from tests.support.project import feed_bytes, write_config
from tests.support.smtpserver import free_port
from tests.support.stores import POSTGRES_ADMIN_URL, fresh_postgres_database

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
WAIT = 60


def test_the_services_and_how_they_are_wired() -> None:
    assert set(SERVICES) == {"db", "veille", "web", "mail"}
    db = SERVICES["db"]
    assert db["image"] == "postgres:16" and "healthcheck" in db
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    for name in ("veille", "web"):
        service = SERVICES[name]
        assert service["build"] == "."
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        # Configuration and secrets are mounted, never baked into the image or this file.
        assert "./config:/config:ro" in service["volumes"]
        assert "postgres_password" in service["secrets"]
        assert not any("PASSWORD" in key or "TOKEN" in key for key in service["environment"])
    # The dashboard is published on the loopback interface only, and behind a token.
    assert SERVICES["web"]["ports"] == ["127.0.0.1:8080:8080"]
    assert "web_token" in SERVICES["web"]["secrets"]
    assert set(COMPOSE["secrets"]) == {"postgres_password", "web_token"}


def _script(service: str, secrets_dir: Path, database: str) -> str:
    """The service's shell command as its container runs it, pointed at local stand-ins."""
    (script,) = SERVICES[service]["command"]
    assert "@db:5432/veille" in script and "/run/secrets/" in script
    return (
        script.replace("$$", "$")  # compose's escape for a literal $
        .replace("@db:5432/veille", f"@127.0.0.1:5432/{database}")
        .replace("/run/secrets/", f"{secrets_dir}/")
    )


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A secrets folder and an empty database owned by a ``veille`` role, as compose sets up."""
    with fresh_postgres_database() as url:
        database = make_url(url).database
        assert database is not None
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                exists = connection.execute(
                    text("SELECT 1 FROM pg_roles WHERE rolname = 'veille'")
                ).first()
                if exists is None:
                    connection.execute(text("CREATE ROLE veille LOGIN"))
                connection.execute(text(f'ALTER DATABASE "{database}" OWNER TO veille'))
        finally:
            admin.dispose()
        secrets_dir = tmp_path / "secrets"
        secrets_dir.mkdir()
        # The local server trusts loopback connections: the password is carried, not checked.
        (secrets_dir / "postgres_password").write_text(secrets.token_hex(8) + "\n")
        (secrets_dir / "web_token").write_text(secrets.token_hex(16) + "\n")
        yield secrets_dir, database


def _environment(service: str, config: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VEILLE_")}
    env.update({key: str(value) for key, value in SERVICES[service]["environment"].items()})
    env["VEILLE_CONFIG"] = str(config)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=WAIT)
    return process.returncode, out, err


@pytest.mark.skipif(shutil.which("sh") is None, reason="no /bin/sh to run the services' commands")
def test_the_veille_service_migrates_then_schedules_and_the_web_service_serves(
    deployment: tuple[Path, str], feed_server: FeedServer, tmp_path: Path
) -> None:
    secrets_dir, database = deployment
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    config = write_config(tmp_path, {"fr": feed_server.url("/fr.xml")})

    # The web service waits for the schema; started first, it must not serve an empty database.
    port = free_port()
    web_script = _script("web", secrets_dir, database).replace("--port 8080", f"--port {port}")
    web = subprocess.Popen(
        ["sh", "-c", web_script],
        env=_environment("web", config),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    veille = subprocess.Popen(
        ["sh", "-c", _script("veille", secrets_dir, database)],
        env=_environment("veille", config),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        token = (secrets_dir / "web_token").read_text().strip()
        mentions = _poll_mentions(port, token, veille, web)
        assert mentions and all(row["brand"] == "Danone" for row in mentions)
        assert httpx.get(f"http://127.0.0.1:{port}/api/mentions", timeout=5).status_code == 401
    finally:
        status, _, err = _stop(veille)
        web_status, _, web_err = _stop(web)
    # `exec` made veille the shell: SIGTERM reached the scheduler, which stopped cleanly.
    assert status == 0, err
    assert "event=job_end job=collect status=ok" in err
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert web_status in (0, -signal.SIGTERM), web_err
    assert "Application shutdown complete" in web_err


def _poll_mentions(
    port: int, token: str, *processes: subprocess.Popen[str]
) -> list[dict[str, Any]]:
    """Wait until the dashboard answers with collected mentions (fails after WAIT seconds)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, process.communicate()
        try:
            response = httpx.get(
                f"http://127.0.0.1:{port}/api/mentions",
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            )
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            body = response.json()
            rows = body["mentions"] if isinstance(body, dict) else body
            if rows:
                return list(rows)
        time.sleep(0.5)
    raise AssertionError("the dashboard never showed the collected mentions")
