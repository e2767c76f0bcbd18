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


def test_a_backend_refused_for_its_address_names_the_settings() -> None:
    from annotate.studio.client import refused_backend

    # What Label Studio 1.23.2 answers (core/utils/exceptions.py, SsrfBlockedUrlError).
    answer = ('Label Studio at http://127.0.0.1:8080 answered HTTP 400 while connecting the model backend: '
              '{"detail": "The provided URL was not allowed. URLs must use http:// or https://, and must not '
              'resolve to local or private network addresses when SSRF protection applies."}')
    explained = refused_backend(answer)
    assert explained.startswith(answer) and "ML_BLOCK_LOCAL_IP=false" in explained
    assert "SSRF_PROTECTION_ENABLED=false" in explained and "`propa server start` sets them" in explained
    other = "Label Studio at http://x answered HTTP 400 while connecting: {\"url\": [\"bad\"]}"
    assert refused_backend(other) == other


def test_backend_auth_from_the_environment_or_the_private_config(tmp_path, monkeypatch) -> None:
    from annotate.studio.settings import backend_auth

    for name in ("PROPA_BACKEND_USER", "PROPA_BACKEND_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert backend_auth(tmp_path) is None  # no config, no variables: no auth
    write_config(config_path(tmp_path), {"url": "http://x", "backend_user": "ls", "backend_password": "from-file"})
    assert backend_auth(tmp_path) == ("ls", "from-file")
    monkeypatch.setenv("PROPA_BACKEND_USER", "env-user")
    monkeypatch.setenv("PROPA_BACKEND_PASSWORD", "from-env")
    assert backend_auth(tmp_path) == ("env-user", "from-env")  # the environment first
    monkeypatch.delenv("PROPA_BACKEND_PASSWORD")
    with pytest.raises(PropaError, match="needs both a user and a password"):
        backend_auth(tmp_path)
