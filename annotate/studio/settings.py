"""Where propa keeps its state, and how it finds the Label Studio server and its API key.

Precedence, highest first:

- the URL: ``--url`` on the command line, then ``LABEL_STUDIO_URL``, then the local config;
- the API key: ``LABEL_STUDIO_API_KEY``, then the local config. Never a command-line
  argument (it would show in ``ps`` and in shell history), never printed or logged.

The local config (``<state>/config.yaml``) is written by ``propa server start`` with mode
0600; a config readable by others is refused.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from annotate.errors import InputError, PropaError
from annotate.files import atomic_write
from annotate.yamlconf import config_loader

STATE_ENV = "PROPA_HOME"
URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"
CONFIG_FIELDS = ("url", "api_key", "username", "password", "team_url",  # team_url: with --host, for annotators
                 "backend_user", "backend_password")  # basic auth of `propa serve`, when wanted


def state_dir() -> Path:
    """The folder for the local server's data, its PID, logs and the connection config."""
    return Path(os.environ.get(STATE_ENV) or ".propa")


def config_path(state: Path | None = None) -> Path:
    return (state or state_dir()) / "config.yaml"


@dataclass(frozen=True)
class Connection:
    url: str
    api_key: str = field(repr=False)  # never in a repr, a log line or an error message

    def __str__(self) -> str:
        return self.url


def read_config(path: Path) -> dict[str, str]:
    """The local config, or {} when there is none. Refuses one that others can read."""
    if not path.exists():
        return {}
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PropaError(f"{path}: holds an API key but its mode is {mode:04o}; run `chmod 600 {path}`")
    try:  # aliases capped (annotate.yamlconf); the message names the line, never quotes the file (a secret)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=config_loader(path)) or {}  # noqa: S506
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise InputError(f"{path}{f':{mark.line + 1}' if mark is not None else ''}: malformed YAML") from None
    if not isinstance(data, dict) or set(data) - set(CONFIG_FIELDS):
        raise InputError(f"{path}: expected only the keys {', '.join(CONFIG_FIELDS)}")
    return {k: str(v) for k, v in data.items() if v is not None}


def write_config(path: Path, values: dict[str, str]) -> None:
    """Write the local config with mode 0600 (set before the secret is written)."""
    unknown = set(values) - set(CONFIG_FIELDS)
    if unknown:
        raise ValueError(f"unknown config keys: {sorted(unknown)}")
    with atomic_write(path, mode=0o600) as handle:
        yaml.safe_dump(values, handle, sort_keys=False)


def resolve_connection(url: str | None = None, state: Path | None = None) -> Connection:
    """The server to talk to and its key, from the flag, the environment and the config."""
    config = read_config(config_path(state))
    resolved_url = url or os.environ.get(URL_ENV) or config.get("url")
    if not resolved_url:
        raise PropaError(
            f"no Label Studio server configured: run `propa server start`, or set {URL_ENV} "
            f"and {KEY_ENV} to use another server"
        )
    resolved_url = resolved_url.rstrip("/")
    # The config's key belongs to the config's server: never send it anywhere else.
    same_server = config.get("url", "").rstrip("/") == resolved_url
    api_key = os.environ.get(KEY_ENV) or (config.get("api_key") if same_server else None)
    if not api_key:
        raise PropaError(
            f"no API key for {resolved_url}: set {KEY_ENV} (Label Studio: Account & Settings > "
            f"Personal Access Token), or put it in {config_path(state)} (mode 0600)"
        )
    return Connection(resolved_url, api_key)


BACKEND_USER_ENV, BACKEND_PASSWORD_ENV = "PROPA_BACKEND_USER", "PROPA_BACKEND_PASSWORD"


def backend_auth(state: Path | None = None) -> tuple[str, str] | None:
    """The basic-auth credentials `propa serve` asks of Label Studio, or None (no auth): from
    $PROPA_BACKEND_USER and $PROPA_BACKEND_PASSWORD, else the local config's backend_user and
    backend_password (mode 0600). Never from the command line."""
    user, password = os.environ.get(BACKEND_USER_ENV), os.environ.get(BACKEND_PASSWORD_ENV)
    if not (user or password):
        config = read_config(config_path(state))
        user, password = config.get("backend_user"), config.get("backend_password")
    if not (user or password):
        return None
    if not (user and password):
        raise PropaError(f"basic auth for the backend needs both a user and a password ({BACKEND_USER_ENV} and "
                         f"{BACKEND_PASSWORD_ENV}, or backend_user and backend_password in {config_path(state)})")
    return user, password
