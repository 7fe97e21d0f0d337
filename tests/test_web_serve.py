"""``veille serve`` as a real process on 127.0.0.1, and the cases where it refuses to start."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.support.browser import free_port, save_items, wait_for_port, web_corpus
from tests.support.stores import database_url_fixture  # noqa: F401
from veille.cli import cli
from veille.store import BrandSpec, SourceSpec, Store
from veille.store.db import create_store_engine, downgrade_database

TOKEN = "token-of-the-serve-test-0123456789"


def write_config(directory: Path, database_url: str) -> Path:
    """A configuration naming the database, the corpus's brands and one not collected yet."""
    path = directory / "veille.toml"
    path.write_text(
        f'[database]\nurl = "{database_url}"\n\n'
        '[[brands]]\nname = "acme"\nquery = "acme"\n\n'
        '[[brands]]\nname = "globex"\nquery = "globex"\n\n'
        '[[brands]]\nname = "Initech"\nquery = "initech"\n',
        encoding="utf-8",
    )
    return path


def serve(config: Path, *args: str, token: str = "") -> tuple[int, str]:
    """Run ``veille serve`` in-process (it must refuse before serving); exit code and output."""
    result = CliRunner().invoke(
        cli, ["--config", str(config), "serve", *args], env={"VEILLE_WEB_TOKEN": token}
    )
    return result.exit_code, result.output


def test_veille_serve_answers_over_http(database_url: str, tmp_path: Path) -> None:
    writer = Store.open(database_url)
    writer.sync_config(
        [BrandSpec("acme", "acme"), BrandSpec("globex", "globex")],
        [SourceSpec("lemonde", "rss", {"url": "https://www.lemonde.fr/rss/une.xml"})],
    )
    save_items(writer, web_corpus())
    writer.close()
    config = write_config(tmp_path, database_url)
    port = free_port()
    env = {**os.environ, "VEILLE_WEB_TOKEN": TOKEN}
    env.pop("VEILLE_DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "veille",
        "--config",
        str(config),
        "serve",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_port(port)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/api/brands").status_code == 401
        headers = {"authorization": f"Bearer {TOKEN}"}
        negative = httpx.get(f"{base}/api/mentions?tone=negative", headers=headers)
        assert negative.status_code == 200 and negative.json()["total"] == 3
        # A configured brand is known before a collection stores it.
        brands = httpx.get(f"{base}/api/brands", headers=headers).json()["brands"]
        assert brands == ["acme", "globex", "Initech"]
        initech = httpx.get(f"{base}/api/mentions?brand=initech", headers=headers)
        assert initech.status_code == 200 and initech.json()["total"] == 0
        with httpx.Client(base_url=base, follow_redirects=True) as browser:
            overview = browser.get(f"/?token={TOKEN}&since=2026-03-01")
            assert overview.status_code == 200 and overview.url.query == b"since=2026-03-01"
            assert '<svg class="chart chart-volume"' in overview.text
            # The configuration sets no time zone: the schedule's default, Paris, is the page's.
            assert "fuseau horaire Europe/Paris" in overview.text
            assert browser.get("/api/overview").json()["timezone"] == "Europe/Paris"
            assert browser.get("/static/veille.css").headers["content-type"].startswith("text/css")
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
    assert server.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in out
    assert TOKEN not in out + err  # the login link's token is masked in the access log
    assert "token=***" in out + err


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'veille.db'}")
    code, output = serve(config, "--host", "0.0.0.0")
    assert code == 2
    assert "without an access token" in output and "VEILLE_WEB_TOKEN" in output
    assert not (tmp_path / "veille.db").exists()


def test_serve_says_when_its_port_is_taken(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'veille.db'}"
    Store.open(url).close()
    config = write_config(tmp_path, url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = serve(config, "--port", str(port))
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in output and "--port" in output
    assert "dashboard on" not in output, "no address is announced that nothing serves"


def test_serve_says_a_folder_is_no_database(tmp_path: Path) -> None:
    code, output = serve(write_config(tmp_path, f"sqlite:///{tmp_path}"))
    assert code == 2 and "is a folder, not a database file" in output
    assert "does not exist" not in output and "db upgrade" not in output


def test_serve_refuses_a_missing_or_empty_database(database_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, database_url)
    if database_url.startswith("sqlite"):
        code, output = serve(config)
        assert code == 2 and "does not exist" in output and "veille db upgrade" in output
        sqlite3.connect(database_url.removeprefix("sqlite:///")).close()
    code, output = serve(config)
    assert code == 2 and "no veille schema" in output and "veille db upgrade" in output
    empty = Store.open(database_url, upgrade_empty=False)
    try:
        assert empty.current_revision() is None  # serve migrated nothing
    finally:
        empty.close()


def test_serve_refuses_a_database_behind_the_code(database_url: str, tmp_path: Path) -> None:
    Store.open(database_url).close()
    engine = create_store_engine(database_url)
    try:
        older = downgrade_database(engine, "-1")
    finally:
        engine.dispose()
    code, output = serve(write_config(tmp_path, database_url), token=TOKEN)
    assert code == 2
    assert f"revision {older}" in output and "veille db upgrade" in output


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_serve_checks_its_port(tmp_path: Path, port: str) -> None:
    code, output = serve(write_config(tmp_path, "sqlite:///x.db"), "--port", port)
    assert code == 2 and "--port" in output
