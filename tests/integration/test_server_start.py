"""`propa server start` with the default relative state folder (issue 14): the database where
the README says, restarts that know it, a --port that is not silently ignored."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.server import DB_NAME, stop_server
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
