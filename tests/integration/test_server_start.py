"""`propa server start` with the default relative state folder (issue 14): the database where
the README says, restarts that know it, a --port that is not silently ignored."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.studio.server import DB_NAME, stop_server
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration


def test_the_database_lands_in_the_state_folder_and_a_restart_knows_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROPA_HOME", raising=False)
    port = free_port()
    runner = CliRunner()
    try:
        first = runner.invoke(cli, ["server", "start", "--no-install", "--port", str(port)])
        assert first.exit_code == 0, first.output
        assert "First start" in first.output
        assert (tmp_path / ".propa" / "label-studio" / DB_NAME).is_file()
        assert not (tmp_path / ".propa" / ".propa").exists()  # not nested under the state folder again

        other = free_port()
        moved = runner.invoke(cli, ["server", "start", "--no-install", "--port", str(other)])
        assert moved.exit_code == 1
        assert f"already runs at http://127.0.0.1:{port}" in moved.output
        assert f"to start it on port {other}" in moved.output
        same = runner.invoke(cli, ["server", "start", "--no-install"])  # no --port: the running one
        assert same.exit_code == 0 and f"127.0.0.1:{port}" in same.output

        assert stop_server(tmp_path / ".propa")
        again = runner.invoke(cli, ["server", "start", "--no-install", "--port", str(port)])
        assert again.exit_code == 0, again.output
        assert "First start" not in again.output
    finally:
        stop_server(tmp_path / ".propa")


def log_in(base_url: str, email: str, password: str) -> int:
    """The login form as a browser posts it: 302 when the password is right."""
    import httpx

    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as browser:
        browser.get("/user/login/")
        response = browser.post("/user/login/", data={"email": email, "password": password,
                                                      "csrfmiddlewaretoken": browser.cookies.get("csrftoken")},
                                headers={"Referer": f"{base_url}/user/login/"})
        return response.status_code


def test_a_team_server_on_the_network_with_annotator_accounts(tmp_path, monkeypatch):
    import stat

    import yaml

    from annotate.studio.server import network_address

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROPA_HOME", raising=False)
    port = free_port()
    runner = CliRunner()
    state = tmp_path / ".propa"
    try:
        started = runner.invoke(cli, ["server", "start", "--no-install", "--host", "0.0.0.0", "--port", str(port)])
        assert started.exit_code == 0, started.output
        team = f"http://{network_address()}:{port}"
        assert f"Annotators open: {team}" in started.output
        assert "Warning: serving on 0.0.0.0" in started.output
        config = yaml.safe_load((state / "config.yaml").read_text())
        assert config["url"] == f"http://127.0.0.1:{port}" and config["team_url"] == team
        assert config["password"] not in started.output and config["api_key"] not in started.output

        added = runner.invoke(cli, ["server", "add-annotator", "alice@redaction.example", "bob@redaction.example"])
        assert added.exit_code == 0, added.output
        accounts = state / "annotators.yaml"
        assert stat.S_IMODE(accounts.stat().st_mode) == 0o600
        passwords = yaml.safe_load(accounts.read_text())
        assert set(passwords) == {"alice@redaction.example", "bob@redaction.example"}
        assert not any(password in added.output for password in passwords.values())
        # from the network address, as an annotator's browser would
        assert log_in(team, "alice@redaction.example", passwords["alice@redaction.example"]) == 302
        assert log_in(team, "bob@redaction.example", "not-the-password") == 200  # the form again

        again = runner.invoke(cli, ["server", "add-annotator", "carol@redaction.example", "Alice@redaction.example"])
        assert again.exit_code == 1 and "Alice@redaction.example: already has an account" in again.output
        assert "carol@redaction.example" not in yaml.safe_load(accounts.read_text())  # nothing half done

        invite = runner.invoke(cli, ["server", "invite"])
        assert invite.exit_code == 0 and invite.output.startswith(f"{team}/user/signup/?token=")
    finally:
        stop_server(state)
