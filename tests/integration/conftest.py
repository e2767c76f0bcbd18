"""A real Label Studio server, started once per test session (SQLite, 127.0.0.1)."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from annotate.studio.client import LabelStudioClient
from annotate.studio.server import start_server, stop_server
from annotate.studio.settings import Connection, config_path, read_config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    state: Path
    port: int

    @property
    def conn(self) -> Connection:
        config = read_config(config_path(self.state))
        return Connection(config["url"], config["api_key"])

    def start(self) -> None:
        start_server(self.state, port=self.port, install=False, echo=lambda message: None)

    def stop(self) -> None:
        stop_server(self.state)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    srv = Server(tmp_path_factory.mktemp("propa-state"), free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def admin(server: Server) -> LabelStudioClient:
    return LabelStudioClient(server.conn)


@pytest.fixture(autouse=True)
def no_outside_settings(monkeypatch):
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def signup_annotator(admin: LabelStudioClient, email: str, password: str, personal_token: bool) -> Connection:
    """A second real user, signed up through the organisation's invite link like a person.

    ``personal_token`` picks a personal access token (a JWT the SDK refreshes itself) over
    the legacy token, so both kinds of API key are exercised.
    """
    url = admin.conn.url
    invite = admin.sdk.organizations.invites.get_invite_link()
    with httpx.Client(base_url=url, follow_redirects=False, timeout=30) as browser:
        browser.get(f"/user/signup/?token={invite.token}")
        response = browser.post(
            f"/user/signup/?token={invite.token}",
            data={"email": email, "password": password, "csrfmiddlewaretoken": browser.cookies.get("csrftoken")},
            headers={"Referer": f"{url}/user/signup/"},
        )
        assert response.status_code == 302, response.text[:300]
        if personal_token:
            response = browser.post("/api/token/", headers={"X-CSRFToken": browser.cookies.get("csrftoken"),
                                                            "Referer": url})
        else:
            # Label Studio 1.23.2 can answer 500 ("Token matching query does not exist") for a user
            # created a few milliseconds before, under load: the legacy token comes a moment later.
            for _ in range(10):
                response = browser.get("/api/current-user/token")
                if response.status_code != 500:
                    break
                time.sleep(0.5)
        response.raise_for_status()
        return Connection(url, response.json()["token"])
