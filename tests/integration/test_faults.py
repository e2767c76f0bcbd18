"""Faults against a real Label Studio: the state folder's modes after `propa server start`,
and a pull cut off midway leaving none of its export snapshots on the server."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from label_studio_sdk.projects.exports.client import ExportsClient

from annotate.cli import cli
from annotate.text.corpus import ingest, read_corpus
from annotate.errors import ServerError
from annotate.studio.client import EXPORT_TITLE, LabelStudioClient
from annotate.studio.pull import pull
from annotate.studio.push import open_project, push_sentences
from annotate.studio.server import DB_NAME, stop_server
from annotate.taxonomy import load_taxonomy
from tests.conftest import SAMPLES
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration
TAX = load_taxonomy()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the state folder ------------------------------------------------------------------

def test_server_start_makes_the_state_folder_and_database_private(tmp_path, monkeypatch):
    """A fresh `propa server start` under the usual umask 022, in a home folder others can
    enter: the state folder 0700 and the token-holding database 0600, and a later start
    refuses the state once someone loosens it."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    state = home / ".propa"
    monkeypatch.setenv("PROPA_HOME", str(state))
    previous = os.umask(0o022)
    try:
        result = CliRunner().invoke(cli, ["server", "start", "--no-install", "--port", str(free_port())])
        assert result.exit_code == 0, result.output
        data_dir = state / "label-studio"
        assert mode_of(state) == 0o700
        assert mode_of(data_dir) == 0o700
        assert mode_of(data_dir / DB_NAME) == 0o600
        assert mode_of(state / "config.yaml") == 0o600
        # Everything the server wrote (its .env with SECRET_KEY, media, exports) is private too.
        loose = [(str(p.relative_to(state)), oct(mode_of(p))) for p in data_dir.rglob("*")
                 if not p.is_symlink() and mode_of(p) & 0o077]
        assert loose == []

        state.chmod(0o755)  # as an older propa left it
        result = CliRunner().invoke(cli, ["server", "start", "--no-install"])
        assert result.exit_code == 1
        assert f"{state}: holds the Label Studio database with its API token but its mode is 0755" in result.output
        assert f"chmod -R go-rwx {state}" in result.output and len(result.output.strip().splitlines()) == 1
        state.chmod(0o700)
        (data_dir / DB_NAME).chmod(0o644)
        result = CliRunner().invoke(cli, ["server", "start", "--no-install"])
        assert result.exit_code == 1 and f"{data_dir / DB_NAME}: holds the Label Studio database" in result.output
        (data_dir / DB_NAME).chmod(0o600)
        result = CliRunner().invoke(cli, ["server", "start", "--no-install"])  # running already: reported
        assert result.exit_code == 0 and "Label Studio is running at" in result.output, result.output
    finally:
        os.umask(previous)
        stop_server(state)


# -- export snapshots ------------------------------------------------------------------

@pytest.fixture(scope="module")
def annotated_project(server, tmp_path_factory) -> tuple[int, str]:
    """A project with a few tasks, one annotated: something for an export to carry."""
    admin = LabelStudioClient(server.conn)
    corpus = tmp_path_factory.mktemp("faults") / "sentences.jsonl"
    ingest([SAMPLES], corpus, progress=False)
    title = "Faults"
    project_id, _ = open_project(admin, title, TAX)
    push_sentences(admin, project_id, list(read_corpus(corpus))[:5], progress=False)
    task_id = next(iter(admin.task_ids_by_sentence(project_id).values()))
    admin.create_annotation(task_id, [{"from_name": "technique_sourcing", "to_name": "sentence",
                                       "type": "choices", "value": {"choices": ["vague_sourcing"]}}])
    return project_id, title


def our_snapshots(admin: LabelStudioClient, project_id: int) -> list[tuple[int, str, str]]:
    """The project's export snapshots made by propa, as the SDK lists them."""
    return [(e.id, e.title, e.status) for e in admin.sdk.projects.exports.list(id=project_id)
            if (e.title or "").startswith(EXPORT_TITLE)]


@pytest.fixture
def created(monkeypatch) -> list[int]:
    """The ids of the snapshots created through the SDK during the test (to prove there were some)."""
    ids: list[int] = []
    real_create = ExportsClient.create

    def create(self, *args, **kwargs):
        export = real_create(self, *args, **kwargs)
        ids.append(export.id)
        return export

    monkeypatch.setattr(ExportsClient, "create", create)
    return ids


def test_a_pull_cut_off_during_the_download_leaves_no_snapshot(server, admin, annotated_project, created,
                                                               monkeypatch, tmp_path):
    project_id, title = annotated_project

    def dead_server(self, *args, **kwargs):
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    monkeypatch.setattr(ExportsClient, "download", dead_server)
    with pytest.raises(ServerError, match="lost the connection"):
        pull(server.conn, TAX, title, tmp_path / "out")
    assert len(created) == 1  # the snapshot was made before the download failed...
    assert our_snapshots(admin, project_id) == []  # ...and is gone
    assert not (tmp_path / "out").exists()

    monkeypatch.undo()
    summary = pull(server.conn, TAX, title, tmp_path / "out")  # a whole pull cleans up after itself too
    assert summary.counts.rows == 1
    assert our_snapshots(admin, project_id) == []


def test_ctrl_c_while_the_export_runs_leaves_no_snapshot(server, admin, annotated_project, created, monkeypatch):
    project_id, _ = annotated_project

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ExportsClient, "get", interrupted)
    with pytest.raises(KeyboardInterrupt):
        admin.export_tasks(project_id)
    assert len(created) == 1 and our_snapshots(admin, project_id) == []


def test_a_create_sent_twice_leaves_neither_snapshot(server, admin, annotated_project, created, monkeypatch):
    """The SDK resends a POST whose connection dropped: the server may have made both."""
    project_id, _ = annotated_project
    once = ExportsClient.create  # the recording one from `created`

    def sent_twice(self, *args, **kwargs):
        once(self, *args, **kwargs)
        return once(self, *args, **kwargs)

    monkeypatch.setattr(ExportsClient, "create", sent_twice)
    tasks = admin.export_tasks(project_id)
    assert len(tasks) == 1 and len(created) == 2
    assert our_snapshots(admin, project_id) == []


def test_snapshots_left_by_a_pull_the_server_cut_off_go_with_the_next_pull(server, admin, annotated_project):
    """A dead server cannot delete anything: the next pull deletes our leftovers once older
    than its export timeout, and leaves other people's snapshots alone."""
    project_id, _ = annotated_project
    exports = admin.sdk.projects.exports
    leftover = exports.create(id=project_id, title=f"{EXPORT_TITLE} 0123456789ab", task_filter_options={})
    legacy = exports.create(id=project_id, title=EXPORT_TITLE, task_filter_options={})  # titled before run ids
    by_hand = exports.create(id=project_id, title="exported by hand", task_filter_options={})
    try:
        admin.export_tasks(project_id)  # default timeout: they are too recent to be leftovers
        assert {e[0] for e in our_snapshots(admin, project_id)} == {leftover.id, legacy.id}
        time.sleep(1.5)
        admin.export_tasks(project_id, timeout=1.0)
        assert our_snapshots(admin, project_id) == []
        assert by_hand.id in {e.id for e in exports.list(id=project_id)}
    finally:
        for export in exports.list(id=project_id):
            if export.id in (leftover.id, legacy.id, by_hand.id):
                exports.delete(id=project_id, export_pk=export.id)
