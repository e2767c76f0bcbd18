
from click.testing import CliRunner

from annotate.cli import cli
from annotate.taxonomy import load_taxonomy


def run(*args, **kwargs):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)


def test_help_explains_the_loop():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("ingest", "push", "pull", "server", "taxonomy"):
        assert command in result.output


def test_ingest(article_dir, tmp_path):
    out = tmp_path / "s.jsonl"
    result = run("ingest", str(article_dir), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "3 articles, 9 sentences" in result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 9


def test_ingest_error_is_one_line_and_non_zero(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1,}\n', encoding="utf-8")
    result = run("ingest", str(bad), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {bad}:1: malformed JSON (Expecting property name "
                                                  "enclosed in double quotes at column 10)"]
    assert not (tmp_path / "out.jsonl").exists()


def test_push_without_a_server_configured_says_what_to_do(tmp_path, monkeypatch, article_dir):
    monkeypatch.setenv("PROPA_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    corpus = tmp_path / "s.jsonl"
    run("ingest", str(article_dir), "-o", str(corpus))
    result = run("push", str(corpus))
    assert result.exit_code == 1
    assert "no Label Studio server configured: run `propa server start`" in result.output


def test_push_refuses_a_corpus_that_is_not_one(tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "whatever")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = run("push", str(empty))
    assert result.exit_code == 1 and "no sentences (an empty corpus)" in result.output


def test_api_key_is_not_a_command_line_option():
    result = CliRunner().invoke(cli, ["push", "x.jsonl", "--api-key", "k"])
    assert result.exit_code == 2 and "No such option" in result.output


def test_taxonomy_commands():
    labels = run("taxonomy", "labels").output.splitlines()
    assert [line.split("\t")[0] for line in labels] == load_taxonomy().label_names
    assert run("taxonomy", "config").output.startswith("<View>")
    assert "speculative_link" in run("taxonomy", "guidelines", "--format", "html").output


def test_server_status_when_not_running(tmp_path, monkeypatch):
    monkeypatch.setenv("PROPA_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["server", "status"])
    assert result.exit_code == 1 and "not running" in result.output


def test_server_start_refuses_a_busy_port(tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("PROPA_HOME", str(tmp_path))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["server", "start", "--port", str(port), "--no-install"])
    assert result.exit_code == 1 and f"port {port} on 127.0.0.1 is busy" in result.output
