"""``docker-compose.yml``: what it starts, exercised here without Docker.

No Docker engine runs on the test machines, so the services' own commands (read from the
compose file) run here as they would in their containers, against the local PostgreSQL: only
the database host and the secrets folder are swapped for local ones.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
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
from tests.support.stores import (
    POSTGRES_ADMIN_URL,
    T0,
    configure,
    fresh_postgres_database,
    make_item,
)
from veille.store import MentionFilter, Store
from veille.store.db import create_store_engine, upgrade_database
from veille.timeutil import utcnow
from veille.types import SourceState

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
README = (ROOT / "README.md").read_text("utf-8")
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
        environment = service["environment"]
        # Secrets are named by their files; the database URL holds no password.
        for key, value in environment.items():
            if "PASSWORD" in key or "TOKEN" in key:
                assert key.endswith("_FILE") and value.startswith("/run/secrets/"), key
        assert make_url(environment["VEILLE_DATABASE_URL"]).password is None
        assert environment["VEILLE_DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    # The dashboard is published on the loopback interface only, and behind a token.
    assert SERVICES["web"]["ports"] == ["127.0.0.1:8080:8080"]
    assert "web_token" in SERVICES["web"]["secrets"]
    assert set(COMPOSE["secrets"]) == {"postgres_password", "web_token"}


def _local(text: str, secrets_dir: Path, database: str) -> str:
    """``text`` of the compose file pointed at the local stand-ins of the db service and secrets."""
    return text.replace("@db:5432/veille", f"@127.0.0.1:5432/{database}").replace(
        "/run/secrets/", f"{secrets_dir}/"
    )


def _script(service: str, secrets_dir: Path, database: str) -> str:
    """The service's shell command as its container runs it, pointed at local stand-ins."""
    (script,) = SERVICES[service]["command"]
    return _local(script.replace("$$", "$"), secrets_dir, database)  # $$: compose's escaped $


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


def _environment(service: str, config: Path, deployment: tuple[Path, str]) -> dict[str, str]:
    """The service's environment, as its container (and `docker compose exec`) has it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VEILLE_")}
    for key, value in SERVICES[service]["environment"].items():
        env[key] = _local(str(value), *deployment)
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
        env=_environment("web", config, deployment),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    veille = subprocess.Popen(
        ["sh", "-c", _script("veille", secrets_dir, database)],
        env=_environment("veille", config, deployment),
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


OPERATIONS = (ROOT / "docs" / "operations.md").read_text("utf-8")
# A command run in the db service, in a code block or inline.
_EXEC = re.compile(
    r"docker(?:-compose| compose) exec (?P<options>(?:-\S+ )*)db (?P<command>[^`\n]+)"
)


def _docker_database_commands() -> list[tuple[str, str]]:
    """The commands docs/operations.md runs in the ``db`` service: (exec options, command)."""
    return [(match["options"], match["command"].strip()) for match in _EXEC.finditer(OPERATIONS)]


def test_the_docker_backup_and_restore_take_no_terminal() -> None:
    commands = _docker_database_commands()
    for options, command in commands:
        # A pseudo-terminal turns the dump's line feeds into CR LF: it restores nothing.
        assert "-T" in options.split(), command
    assert [command.split()[0] for _, command in commands] == ["pg_dump", "pg_restore"]


@pytest.mark.skipif(
    shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="no pg_dump and pg_restore to run the documented backup",
)
def test_the_documented_docker_backup_restores_the_database(
    deployment: tuple[Path, str], tmp_path: Path
) -> None:
    _, database = deployment
    url = f"postgresql+psycopg://veille@127.0.0.1:5432/{database}"
    store = Store.open(url)
    try:
        configure(store)
        run = store.begin_run(T0)
        items = [make_item(f"doc-{number}") for number in range(20)]
        store.save_collection(
            run, "lemonde", None, items, SourceState(),
            now=T0, next_check_at=T0, not_modified=False, duration=0.0,
        )  # fmt: skip
    finally:
        store.close()
    (_, dump), (_, restore) = _docker_database_commands()
    # As the db service runs them, against the local server and the test's database.
    env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": "5432"}
    dump = dump.replace("--format=custom veille >", f"--format=custom {database} >")
    assert database in dump
    subprocess.run(["sh", "-c", dump], cwd=tmp_path, env=env, check=True)
    (written,) = tmp_path.glob("*.dump")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM mentions WHERE id > 5"))
        restore = re.sub(
            r"\S+\.dump$", written.name, restore.replace("-d veille ", f"-d {database} ")
        )
        assert database in restore and written.name in restore
        subprocess.run(["sh", "-c", restore], cwd=tmp_path, env=env, check=True)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM mentions")).scalar_one() == 20
    finally:
        engine.dispose()
    restored = Store.open(url)  # at the latest revision, as the services need it
    try:
        assert len(restored.list_mentions(MentionFilter(limit=None))) == 20
    finally:
        restored.close()


def test_a_command_run_in_the_veille_service_reaches_its_database(
    deployment: tuple[Path, str], tmp_path: Path
) -> None:
    """`docker compose exec veille veille prune …` runs with the service's environment only:
    no shell of the service's command builds anything for it."""
    secrets_dir, database = deployment
    (secrets_dir / "postgres_password").write_text("p@ss:w/rd%40\n")  # any characters work
    config = write_config(tmp_path, {})
    env = _environment("veille", config, deployment)
    subprocess.run(["veille", "db", "upgrade"], env=env, check=True, capture_output=True)
    store = Store.open(f"postgresql+psycopg://veille@127.0.0.1:5432/{database}")
    try:
        configure(store)
        run = store.begin_run(T0)
        old = [
            make_item(f"old-{number}", published_at=T0 - timedelta(days=800)) for number in range(3)
        ]
        store.save_collection(
            run, "lemonde", None, [*old, make_item("recent", published_at=utcnow())], SourceState(),
            now=T0, next_check_at=T0, not_modified=False, duration=0.0,
        )  # fmt: skip
    finally:
        store.close()
    (documented,) = re.findall(r"^docker compose exec veille (veille prune .+)$", README, re.M)
    result = subprocess.run(
        shlex.split(documented), env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "removed 3 mention(s)" in result.stdout
    assert "p@ss" not in result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("sh") is None, reason="no /bin/sh to run the services' commands")
def test_the_web_service_says_what_it_waits_for(
    deployment: tuple[Path, str], tmp_path: Path
) -> None:
    secrets_dir, database = deployment
    config = write_config(tmp_path, {})
    # The database a revision behind: an image newer than the veille service's, say.
    engine = create_store_engine(f"postgresql+psycopg://veille@127.0.0.1:5432/{database}")
    try:
        upgrade_database(engine, "0022")
    finally:
        engine.dispose()
    log = tmp_path / "web.log"
    with log.open("w") as err:
        web = subprocess.Popen(
            ["sh", "-c", _script("web", secrets_dir, database)],
            env=_environment("web", config, deployment),
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + WAIT
        while "web: waiting" not in log.read_text() and time.monotonic() < deadline:
            assert web.poll() is None, log.read_text()
            time.sleep(0.2)
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=WAIT)
    said = log.read_text()
    assert "web: waiting for the veille service to migrate the database" in said
    assert f"{database}: 0022 (behind; latest is " in said
