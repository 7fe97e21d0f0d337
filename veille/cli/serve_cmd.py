"""``veille serve``: the read-only web dashboard and JSON API."""

from __future__ import annotations

import logging
import os
import re
import socket

import click

from veille.cli import _startup
from veille.cli.app import App, CliError
from veille.errors import ConfigError, StoreError

_TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s]*")


class _HideToken(logging.Filter):
    """Access logs never show a ``?token=`` login link's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the token in the logged request line."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="TCP port."
)
@click.pass_obj
def serve(app: App, host: str, port: int) -> None:
    """Serve the read-only dashboard and JSON API (VEILLE_WEB_TOKEN: the access token)."""
    import uvicorn

    from veille.store import Store
    from veille.web import create_app
    from veille.web.security import LOOPBACK_NAMES, TOKEN_ENV, is_loopback

    token = os.environ.get(TOKEN_ENV, "").strip() or None
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve on {host} without an access token: anyone who reaches it "
            "could read every mention",
            hint=f"set {TOKEN_ENV} (e.g. `export {TOKEN_ENV}=$(openssl rand -hex 24)`) "
            "or listen on 127.0.0.1",
        )
    try:
        store = Store.open(app.settings.database_url, read_only=True)
    except StoreError as error:
        refusal = CliError(error)
        refusal.exit_code = 2  # type: ignore[misc]
        raise refusal from None
    try:
        listening = _listen(host, port)
    except ConfigError:
        store.close()
        raise
    _startup.loaded()
    # Without a token, only loopback names are answered (no DNS rebinding to 127.0.0.1).
    allowed = None if token else [*LOOPBACK_NAMES, host]
    shown = _url_host(host)
    click.echo(f"veille dashboard on http://{shown}:{port}/ (read-only; Ctrl-C stops it)")
    if token:
        click.echo(f"access token required ({TOKEN_ENV}): open http://{shown}:{port}/?token=…")
    logging.getLogger("uvicorn.access").addFilter(_HideToken())
    config = uvicorn.Config(
        create_app(
            store,
            token=token,
            allowed_hosts=allowed,
            timezone=app.settings.schedule.timezone,
            brands=[brand.name for brand in app.settings.brands],
            brand_queries=[brand.query for brand in app.settings.brands],
        ),
        log_level="info",
        server_header=False,
        proxy_headers=False,
    )
    try:
        uvicorn.Server(config).run(sockets=[listening])
    except KeyboardInterrupt:
        pass  # Ctrl-C: the server has shut down, as `uvicorn.run` takes it
    finally:
        listening.close()
        store.close()


def _listen(host: str, port: int) -> socket.socket:
    """The dashboard's socket, bound as uvicorn binds one: a port in use is a clean error, said
    before the dashboard announces its address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {_url_host(host)}:{port}: {exc.strerror or exc}",
            hint="choose another port with --port, or stop what listens there",
        ) from None
    sock.set_inheritable(True)
    return sock


def _url_host(host: str) -> str:
    """The host as an address writes it: an IPv6 one in brackets."""
    return f"[{host}]" if ":" in host else host
