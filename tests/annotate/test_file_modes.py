"""File modes and hostile bytes: the atomic writer under a umask, the state folder's check,
a NUL escaped in JSON refused like a raw one, SIGTERM during an export."""

from __future__ import annotations

import json
import os
import signal
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.text.articles import read_articles
from annotate.cli import cli
from annotate.text.corpus import read_corpus
from annotate.errors import InputError, PropaError
from annotate.files import atomic_write, current_umask
from annotate.studio.client import _termination_as_exit
from annotate.studio.server import DB_NAME, _make_private, check_state_private


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test; the previous one comes back afterwards."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


# -- the atomic writer -----------------------------------------------------------------

@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_write_respects_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    path = tmp_path / "out.jsonl"
    with atomic_write(path) as handle:
        handle.write("{}\n")
    assert mode_of(path) == expected
    # the same as a file made by open() under that umask
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert mode_of(plain) == expected


def test_atomic_write_with_an_explicit_mode_keeps_it_whatever_the_umask(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "config.yaml"
    with atomic_write(path, mode=0o600) as handle:
        assert stat.S_IMODE(os.fstat(handle.fileno()).st_mode) == 0o600  # before any byte of the secret is written
        handle.write("api_key: x\n")
    assert mode_of(path) == 0o600


def test_atomic_write_replacing_a_private_file_gives_the_umask_mode(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "rows.jsonl"
    path.write_text("old\n")
    path.chmod(0o600)
    with atomic_write(path) as handle:
        handle.write("new\n")
    assert path.read_text() == "new\n" and mode_of(path) == 0o644


def test_current_umask_reads_without_changing_it(umask):
    umask(0o027)
    assert current_umask() == 0o027
    assert current_umask() == 0o027


def test_write_config_stays_0600_under_a_permissive_umask(tmp_path, umask):
    from annotate.studio.settings import read_config, write_config

    umask(0o000)
    path = tmp_path / "config.yaml"
    write_config(path, {"url": "http://127.0.0.1:1", "api_key": "k"})
    assert mode_of(path) == 0o600 and read_config(path)["api_key"] == "k"


# -- the state folder ------------------------------------------------------------------

def fake_state(tmp_path: Path, state_mode: int, db_mode: int) -> Path:
    state = tmp_path / "state"
    (state / "label-studio").mkdir(parents=True)
    db = state / "label-studio" / DB_NAME
    db.write_bytes(b"SQLite format 3\x00")
    state.chmod(state_mode)
    (state / "label-studio").chmod(0o700)
    db.chmod(db_mode)
    return state


@pytest.mark.parametrize("state_mode, db_mode, bad", [
    (0o755, 0o600, "state"),
    (0o700, 0o644, DB_NAME),
    (0o750, 0o640, "state"),
])
def test_a_state_others_can_read_is_refused(tmp_path, state_mode, db_mode, bad):
    state = fake_state(tmp_path, state_mode, db_mode)
    with pytest.raises(PropaError) as err:
        check_state_private(state)
    message = str(err.value)
    assert message.split(":")[0].endswith(bad)
    assert "API token" in message and f"chmod -R go-rwx {state}" in message and "\n" not in message


def test_a_private_state_passes_and_a_state_without_database_is_not_checked(tmp_path):
    check_state_private(fake_state(tmp_path, 0o700, 0o600))
    bare = tmp_path / "bare"
    bare.mkdir(mode=0o755)
    bare.chmod(0o755)
    check_state_private(bare)  # nothing secret in it yet: start_server makes it private


def test_make_private_creates_0700_folders_under_a_permissive_umask(tmp_path, umask):
    umask(0o022)
    state = tmp_path / "new" / ".propa"
    _make_private(state)
    assert mode_of(state) == 0o700 and mode_of(state / "label-studio") == 0o700


def test_server_start_cli_refuses_a_readable_state_in_one_line(tmp_path, monkeypatch):
    state = fake_state(tmp_path, 0o755, 0o644)
    monkeypatch.setenv("PROPA_HOME", str(state))
    result = CliRunner().invoke(cli, ["server", "start", "--no-install"])
    assert result.exit_code == 1
    assert f"{state}: holds the Label Studio database" in result.output
    assert len(result.output.strip().splitlines()) == 1


# -- NUL, raw or escaped in JSON -------------------------------------------------------

ARTICLE = {"id": "a", "title": "Titre", "text": "Une phrase. Une autre.", "outlet": "Agence"}


def nul_error(path: Path, read) -> str:
    with pytest.raises(InputError) as err:
        read(path)
    return str(err.value)


def read_all_articles(path: Path) -> list:
    return list(read_articles([path]))


@pytest.mark.parametrize("where", ["text", "title", "outlet", "key", "nested"])
def test_an_escaped_nul_in_a_jsonl_article_is_refused_like_a_raw_one(tmp_path, where):
    record = dict(ARTICLE)
    if where == "key":
        record["x\x00"] = 1
    elif where == "nested":
        record["extra"] = [{"deep": "a\x00b"}]
    else:
        record[where] = record[where] + "\x00"
    escaped = json.dumps(record)
    assert "\\u0000" in escaped
    raw = escaped.replace("\\u0000", "\x00")
    (tmp_path / "escaped").mkdir()
    (tmp_path / "raw").mkdir()
    escaped_path = tmp_path / "escaped" / "articles.jsonl"
    raw_path = tmp_path / "raw" / "articles.jsonl"
    escaped_path.write_text(json.dumps(ARTICLE) + "\n" + escaped + "\n", encoding="utf-8")
    raw_path.write_text(json.dumps(ARTICLE) + "\n" + raw + "\n", encoding="utf-8")
    from_raw = nul_error(raw_path, read_all_articles)
    from_escaped = nul_error(escaped_path, read_all_articles)
    assert from_raw == f"{raw_path}: binary file (it contains NUL bytes), not text"
    assert from_escaped == f"{escaped_path}: binary file (it contains NUL bytes), not text"


def test_a_json_backslash_followed_by_u0000_is_text_not_nul(tmp_path):
    record = dict(ARTICLE, text="Le motif \\u0000 est écrit en toutes lettres.")
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert "\\u0000" in read_all_articles(path)[0].text


def corpus_line(text: str) -> dict:
    return {"id": "a:0-5", "article_id": "a", "paragraph_index": 0, "start": 0, "end": 5,
            "text": text, "paragraph": text, "title": text}


def test_an_escaped_nul_in_a_sentence_corpus_is_refused_like_a_raw_one(tmp_path):
    escaped = tmp_path / "escaped.jsonl"
    raw = tmp_path / "raw.jsonl"
    escaped.write_text(json.dumps(corpus_line("Tit\x00e")) + "\n", encoding="utf-8")
    raw.write_bytes((json.dumps(corpus_line("Titre")) + "\n").replace("Titre", "Tit\x00e", 1).encode())
    from_raw = nul_error(raw, lambda p: list(read_corpus(p)))
    from_escaped = nul_error(escaped, lambda p: list(read_corpus(p)))
    assert from_raw == f"{raw}: binary file (it contains NUL bytes), not a JSONL corpus"
    assert from_escaped == f"{escaped}: binary file (it contains NUL bytes), not a JSONL corpus"


def test_ingest_and_push_cli_refuse_an_escaped_nul_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.jsonl").write_text(json.dumps(dict(ARTICLE, text="Une\x00 phrase.")) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", "in.jsonl", "-o", "out.jsonl"])
    assert result.exit_code == 1 and "in.jsonl: binary file (it contains NUL bytes)" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "out.jsonl").exists()
    # push reads the corpus before it looks for a server
    (tmp_path / "corpus.jsonl").write_text(json.dumps(corpus_line("Tit\x00e")) + "\n", encoding="utf-8")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "unused")
    result = CliRunner().invoke(cli, ["push", "corpus.jsonl"])
    assert result.exit_code == 1 and "corpus.jsonl: binary file (it contains NUL bytes)" in result.output, \
        result.output


# -- SIGTERM during an export ----------------------------------------------------------

def test_sigterm_inside_an_export_runs_its_cleanup_then_exits_143():
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    cleaned = []
    with pytest.raises(SystemExit) as exit_:
        with _termination_as_exit():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # the handler interrupts it
            finally:
                cleaned.append(True)
    assert exit_.value.code == 143 and cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


# -- a database nested by earlier versions (issue 14) -------------------------------------

def test_a_nested_database_is_moved_into_place(tmp_path, monkeypatch):
    from annotate.studio.server import DB_NAME, adopt_nested_database

    monkeypatch.chdir(tmp_path)
    given = Path(".propa")
    state = given.resolve()
    nested = state / ".propa" / "label-studio"
    nested.mkdir(parents=True)
    (nested / DB_NAME).write_bytes(b"SQLite format 3\0 annotations")
    (nested / "media").mkdir()
    (state / "label-studio").mkdir()  # the empty folder earlier versions left
    said = []
    assert adopt_nested_database(state, given, said.append) == nested
    assert (state / "label-studio" / DB_NAME).read_bytes() == b"SQLite format 3\0 annotations"
    assert (state / "label-studio" / "media").is_dir()
    assert not (state / ".propa").exists()
    assert said == [f"moved the Label Studio database from {nested} to {state / 'label-studio'}"]
    assert adopt_nested_database(state, given, said.append) is None  # nothing more to do


def test_a_nested_database_never_overwrites_one_in_place(tmp_path, monkeypatch):
    from annotate.studio.server import DB_NAME, adopt_nested_database

    monkeypatch.chdir(tmp_path)
    state = (tmp_path / ".propa")
    (state / ".propa" / "label-studio").mkdir(parents=True)
    (state / ".propa" / "label-studio" / DB_NAME).write_text("old")
    (state / "label-studio").mkdir()
    (state / "label-studio" / DB_NAME).write_text("current")
    assert adopt_nested_database(state, Path(".propa")) is None
    assert (state / "label-studio" / DB_NAME).read_text() == "current"
    assert (state / ".propa" / "label-studio" / DB_NAME).read_text() == "old"
    assert adopt_nested_database(state, state) is None  # an absolute state was never nested
