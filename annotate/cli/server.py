"""`propa server`: the local Label Studio server."""

from __future__ import annotations


import click

from annotate.cli.base import PropaGroup


@click.group("server", cls=PropaGroup)
def server_cli() -> None:
    """Run a local Label Studio server (SQLite, 127.0.0.1) for annotation."""


@server_cli.command("start")
@click.option("--port", default=None, type=int,
              help="Port on 127.0.0.1 (must be free)  [default: 8080, or the running server's].")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on: 0.0.0.0 serves a team on the local network (see the warning).")
@click.option("--no-install", is_flag=True, help="Fail instead of installing Label Studio when it is missing.")
@click.option("--timeout", default=240, show_default=True, type=float, help="Seconds to wait for the server.")
def server_start_cli(port: int | None, host: str, no_install: bool, timeout: float) -> None:
    """Install (if needed) and start Label Studio, then record how to reach it.

    The first start creates the admin user and an API token without any prompt and
    writes them to .propa/config.yaml (mode 0600), which the other commands read; the
    admin password is never shown. With --host 0.0.0.0 annotators on the local network
    reach it; add their accounts with `propa server add-annotator` or send them
    `propa server invite`'s link.
    """
    from annotate.studio.server import LOOPBACK, start_server, team_url
    from annotate.studio.settings import config_path, state_dir

    status = start_server(state_dir(), port=port, host=host, timeout=timeout, install=not no_install,
                          echo=lambda m: click.echo(m, err=True))
    click.echo(status.describe())
    click.echo(f"Password: in {config_path(state_dir())} (field 'password'). Log: {status.log}")
    if host not in LOOPBACK:
        click.echo(f"Warning: serving on {host}: anyone who can reach this machine on that port sees the login "
                   "page, over plain HTTP (no encryption): use it on a network you trust, and stop it after.",
                   err=True)
        click.echo(f"Annotators open: {team_url(state_dir())}")


@server_cli.command("invite")
def server_invite_cli() -> None:
    """Print the sign-up link to send annotators (anyone with it can create an account)."""
    from annotate.studio.client import LabelStudioClient
    from annotate.studio.server import team_url
    from annotate.studio.settings import resolve_connection, state_dir

    client = LabelStudioClient(resolve_connection())
    base = team_url(state_dir()) or client.conn.url
    click.echo(f"{base.rstrip('/')}/user/signup/?token={client.invite_token()}")


@server_cli.command("add-annotator")
@click.argument("emails", nargs=-1, required=True)
def server_add_annotator_cli(emails: tuple[str, ...]) -> None:
    """Create annotator accounts (EMAILS) with generated passwords.

    The passwords go to .propa/annotators.yaml (mode 0600), never to the terminal: send
    each person theirs. Every account sees the server's projects.
    """
    from annotate.studio.client import LabelStudioClient
    from annotate.studio.server import add_annotators, team_url
    from annotate.studio.settings import resolve_connection, state_dir

    client = LabelStudioClient(resolve_connection())
    path, created = add_annotators(client, state_dir(), list(emails))
    click.echo(f"{len(created)} account(s) created: {', '.join(created)}; passwords in {path} (mode 0600)")
    click.echo(f"They log in at {team_url(state_dir()) or client.conn.url}")


@server_cli.command("stop")
def server_stop_cli() -> None:
    """Stop the local Label Studio started by `propa server start`."""
    from annotate.studio.server import stop_server
    from annotate.studio.settings import state_dir

    click.echo("Label Studio stopped." if stop_server(state_dir()) else "Label Studio was not running.")


@server_cli.command("status")
def server_status_cli() -> None:
    """Say whether the local Label Studio is running and where (exit 1 when it is not)."""
    from annotate.studio.server import server_status
    from annotate.studio.settings import state_dir

    status = server_status(state_dir())
    click.echo(status.describe())
    if not status.healthy:
        raise SystemExit(1)


COMMANDS = (server_cli,)
