import os

import pytest

from annotate.errors import PropaError
from annotate.studio.settings import Connection, config_path, read_config, resolve_connection, write_config


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "PROPA_HOME"):
        monkeypatch.delenv(name, raising=False)


def test_config_is_written_0600_and_read_back(tmp_path):
    path = config_path(tmp_path)
    write_config(path, {"url": "http://127.0.0.1:8080", "api_key": "s3cret"})
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert read_config(path) == {"url": "http://127.0.0.1:8080", "api_key": "s3cret"}
    conn = resolve_connection(state=tmp_path)
    assert (conn.url, conn.api_key) == ("http://127.0.0.1:8080", "s3cret")
    assert "s3cret" not in repr(conn) and "s3cret" not in str(conn)


def test_a_config_others_can_read_is_refused(tmp_path):
    path = config_path(tmp_path)
    write_config(path, {"url": "http://x", "api_key": "k"})
    os.chmod(path, 0o644)
    with pytest.raises(PropaError, match="its mode is 0644; run `chmod 600"):
        resolve_connection(state=tmp_path)


def test_flag_and_environment_take_precedence(tmp_path, monkeypatch):
    write_config(config_path(tmp_path), {"url": "http://local:8080", "api_key": "local-key"})
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://team:8080/")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "team-key")
    assert resolve_connection(state=tmp_path) == Connection("http://team:8080", "team-key")
    assert resolve_connection("http://other:1", state=tmp_path).url == "http://other:1"


def test_the_local_key_is_never_sent_to_another_server(tmp_path):
    write_config(config_path(tmp_path), {"url": "http://local:8080", "api_key": "local-key"})
    with pytest.raises(PropaError, match="no API key for http://team:9000: set LABEL_STUDIO_API_KEY"):
        resolve_connection("http://team:9000", state=tmp_path)


def test_nothing_configured(tmp_path):
    with pytest.raises(PropaError, match="no Label Studio server configured: run `propa server start`"):
        resolve_connection(state=tmp_path)
