"""The embedded Label Studio server: install, start, stop and check it, headless.

The server runs from this Python environment on 127.0.0.1 with SQLite, its data under
``<state>/label-studio``. On the first start of a fresh data folder it creates the admin
user and an API token (no prompt); both go to ``<state>/config.yaml`` (mode 0600), which
every other command reads. See NOTES.md for the server facts this relies on.

The SQLite database holds that token in clear: the state folder is kept 0700 and the
database 0600 (the server runs with umask 077), and a start refuses a state that others
can read, as :func:`annotate.studio.settings.read_config` refuses such a config.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import httpx

from annotate.errors import PropaError, ServerError
from annotate.studio.settings import config_path, read_config, write_config

LABEL_STUDIO_VERSION = "1.23.2"
DEFAULT_HOST = "127.0.0.1"
LOCAL_HOST = "127.0.0.1"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
ALL_INTERFACES = frozenset({"0.0.0.0", "::"})
DEFAULT_PORT = 8080
DEFAULT_USER = "admin@propa.local"

# Read by the server as LABEL_STUDIO_X, HEARTEX_X or bare X: strays would reconfigure it.
_STRAY = ("PORT", "HOST", "USERNAME", "PASSWORD", "DEBUG", "DJANGO_DB", "DATABASE_URL")


@dataclass(frozen=True)
class ServerStatus:
    url: str | None
    pid: int | None
    running: bool  # the recorded process is alive
    healthy: bool  # /health answers UP
    username: str | None
    log: Path

    def describe(self) -> str:
        if self.healthy:
            return f"Label Studio is running at {self.url} (pid {self.pid}), login {self.username}"
        if self.running:
            return f"Label Studio (pid {self.pid}) is running but {self.url}/health does not answer yet"
        return "Label Studio is not running (start it with `propa server start`)"


def _paths(state: Path) -> tuple[Path, Path, Path]:
    return state / "label-studio", state / "label-studio.pid", state / "label-studio.log"


DB_NAME = "label_studio.sqlite3"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SERVER_UMASK = 0o077  # everything the server writes (database, media, exports, .env) is private


def _database_files(data_dir: Path) -> list[Path]:
    """The database and its SQLite companions (-journal, -wal, -shm) that exist."""
    return sorted(data_dir.glob(f"{DB_NAME}*")) if data_dir.is_dir() else []


def check_state_private(state: Path) -> None:
    """Refuse a state folder whose server data others can read: its database holds the token."""
    data_dir, _, _ = _paths(state)
    db_files = _database_files(data_dir)
    if not db_files:
        return
    for path in (state, data_dir, *db_files):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise PropaError(
                f"{path}: holds the Label Studio database with its API token but its mode is {mode:04o}; "
                f"run `chmod -R go-rwx {state}`"
            )


def _make_private(state: Path) -> None:
    """Create the state and data folders 0700 (whatever the umask) and tighten what is there."""
    data_dir, _, _ = _paths(state)
    for folder in (state, data_dir):
        folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)
    for path in _database_files(data_dir):
        os.chmod(path, PRIVATE_FILE)


def _label_studio_executable() -> str | None:
    local = Path(sys.executable).with_name("label-studio")
    if local.exists():
        return str(local)
    return shutil.which("label-studio")


def install_label_studio(echo=print) -> str:
    """Install the pinned Label Studio into this environment when it is missing."""
    exe = _label_studio_executable()
    if exe:
        return exe
    echo(f"Label Studio is not installed: installing label-studio=={LABEL_STUDIO_VERSION} (about 1 GB, 1 min)...")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"label-studio=={LABEL_STUDIO_VERSION}"])
    exe = _label_studio_executable()
    if result.returncode != 0 or not exe:
        raise ServerError(f"could not install label-studio=={LABEL_STUDIO_VERSION} with pip (exit {result.returncode})")
    return exe


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _alive(pid: int | None) -> bool:
    """The recorded server process still runs: not exited, not a zombie, not a reused PID."""
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"label-studio" in handle.read()  # empty for a zombie
    except OSError:
        return False


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        response = httpx.get(f"{url}/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and '"UP"' in response.text


def server_status(state: Path) -> ServerStatus:
    _, pid_file, log = _paths(state)
    config = read_config(config_path(state))
    pid = _read_pid(pid_file)
    url = config.get("url")
    running = _alive(pid)
    return ServerStatus(url, pid, running, bool(url) and running and healthy(url), config.get("username"), log)


BACKEND_SETTINGS = {"ML_BLOCK_LOCAL_IP": "false", "SSRF_PROTECTION_ENABLED": "false",
                    "USE_DEFAULT_BANNED_SUBNETS": "false"}


def _server_env(data_dir: Path, username: str, password: str, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LABEL_STUDIO_", "HEARTEX_")) and k not in _STRAY}
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "XDG_CONFIG_HOME": str(data_dir / "xdg"),
        "LABEL_STUDIO_USERNAME": username,
        "LABEL_STUDIO_PASSWORD": password,
        # The token and the legacy-token switch only take effect when the organisation and
        # user are created, on the first start of a fresh data folder.
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        # So that `propa serve` can run beside it on 127.0.0.1: Label Studio refuses model backends
        # on local addresses, and silently drops webhooks (the training events) to them, unless
        # told otherwise. Only these; they let any user of this server point a backend or a
        # webhook at a local address (see the README on --host 0.0.0.0).
        **BACKEND_SETTINGS,
    })
    return env


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def start_server(
    state: Path,
    port: int | None = None,
    host: str = DEFAULT_HOST,
    timeout: float = 240.0,
    install: bool = True,
    echo=print,
) -> ServerStatus:
    """Start the embedded server (or report the one already running) and wait for /health.

    ``port`` None: the running server's, else DEFAULT_PORT. A server of this state already
    running on another port than the one asked for is an error (stop it first).
    """
    given = Path(state)
    state = given.resolve()  # the server runs in the state folder: every path it gets is absolute
    data_dir, pid_file, log = _paths(state)
    current = server_status(state)
    if not current.running:
        adopt_nested_database(state, given, echo)
    check_state_private(state)
    if current.running:
        running_port = urlsplit(current.url or "").port
        if port is not None and running_port is not None and port != running_port:
            raise PropaError(f"the local Label Studio already runs at {current.url} (pid {current.pid}); "
                             f"stop it with `propa server stop` to start it on port {port}")
        if not current.healthy:
            _wait_healthy(current.url or f"http://{host}:{port or DEFAULT_PORT}", lambda: _alive(current.pid), log,
                          timeout)
        return server_status(state)
    port = port or DEFAULT_PORT

    config = read_config(config_path(state))
    fresh = not (data_dir / DB_NAME).exists()
    if not fresh and not config.get("api_key"):
        raise PropaError(
            f"{data_dir} holds a Label Studio database but {config_path(state)} has no API key for it; "
            f"move {data_dir} away to start afresh"
        )
    if not port_is_free(host, port):
        raise ServerError(f"port {port} on {host} is busy (another server?); choose another with --port")
    exe = install_label_studio(echo) if install else _label_studio_executable()
    if not exe:
        raise ServerError(f"label-studio is not installed: pip install 'label-studio=={LABEL_STUDIO_VERSION}'")

    username = config.get("username") or DEFAULT_USER
    password = config.get("password") or secrets.token_urlsafe(15)
    token = config.get("api_key") or secrets.token_hex(20)  # 40 characters, the server's maximum
    # The commands on this machine use the loopback; annotators on the network, team_url.
    url = f"http://{LOCAL_HOST if host in ALL_INTERFACES else host}:{port}"
    values = {"url": url, "api_key": token, "username": username, "password": password,
              **{key: config[key] for key in ("backend_user", "backend_password") if config.get(key)}}
    if host not in LOOPBACK:
        values["team_url"] = f"http://{network_address() if host in ALL_INTERFACES else host}:{port}"
    _make_private(state)
    # Written before the server starts: a fresh database gets exactly these credentials.
    write_config(config_path(state), values)

    if fresh:
        echo("First start: Label Studio creates its database (about a minute)...")
    with open(log, "ab") as log_handle:
        process = subprocess.Popen(
            [exe, "start", "--no-browser", "--internal-host", host, "--port", str(port)],
            env=_server_env(data_dir, username, password, token),
            stdin=subprocess.DEVNULL, stdout=log_handle, stderr=subprocess.STDOUT,
            cwd=state, start_new_session=True,  # its own process group: stop() ends all of it
            umask=SERVER_UMASK,
        )
    pid_file.write_text(f"{process.pid}\n")
    _wait_healthy(url, lambda: process.poll() is None, log, timeout)
    _make_private(state)  # the umask covers what the server creates; this, modes it would set itself
    return server_status(state)


def network_address() -> str:
    """This machine's address on its local network (the interface of its default route;
    the hostname's address where there is none). Nothing is sent."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # a documentation address: UDP connect only picks a route
        address = probe.getsockname()[0]
        if address and not address.startswith("127."):
            return address
    return socket.gethostbyname(socket.gethostname())


def team_url(state: Path) -> str:
    """Where annotators open the local server: its team_url (started with --host), else its url."""
    config = read_config(config_path(state))
    return config.get("team_url") or config.get("url") or ""


def annotator_accounts(state: Path) -> Path:
    return state / "annotators.yaml"


def add_annotators(client, state: Path, emails: list[str]) -> tuple[Path, list[str]]:
    """Create an account (a generated password) for each email, through the invite link as a
    person would; the passwords go to ``<state>/annotators.yaml`` (mode 0600), never to the
    terminal. Returns the file and the emails created (those that had one are refused first)."""
    import yaml

    from annotate.files import atomic_write

    taken = client.user_emails_lower()
    clash = [email for email in emails if email.lower() in taken]
    if clash:
        raise PropaError(f"{', '.join(clash)}: already {'has' if len(clash) == 1 else 'have'} an account on "
                         f"{client.conn.url}")
    bad = [email for email in emails if "@" not in email or email.startswith("@") or email.endswith("@")]
    if bad:
        raise PropaError(f"{', '.join(bad)}: not an email address")
    path = annotator_accounts(state)
    accounts = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    accounts = accounts if isinstance(accounts, dict) else {}
    created = []
    for email in emails:
        password = secrets.token_urlsafe(12)
        client.sign_up(email, password)
        accounts[email] = password
        created.append(email)
        with atomic_write(path, mode=0o600) as handle:  # after each: a failure keeps those made
            yaml.safe_dump(accounts, handle, sort_keys=True, allow_unicode=True)
    return path, created


def adopt_nested_database(state: Path, given: Path, echo=print) -> Path | None:
    """Move a database that earlier versions put in ``<state>/<state as given>/label-studio``
    into ``<state>/label-studio``; returns where it was, or None.

    Those versions ran the server in the state folder with a relative data folder, so a
    state given as ``.propa`` got ``.propa/.propa/label-studio``. Only done when the right
    place holds no database, and the server is not running.
    """
    if given.is_absolute():
        return None
    data_dir, _, _ = _paths(state)
    nested = state / given / data_dir.name
    if not (nested / DB_NAME).exists() or (data_dir / DB_NAME).exists():
        return None
    if data_dir.exists():
        leftover = [p for p in data_dir.iterdir()]
        if leftover:
            raise PropaError(f"{nested} holds the Label Studio database and {data_dir} is not empty; "
                             f"move one of them away")
        data_dir.rmdir()
    os.replace(nested, data_dir)
    with contextlib.suppress(OSError):  # the now empty folders that led to it
        for folder in [state / given, *(state / given).parents]:
            if folder == state or state not in folder.parents:
                break
            folder.rmdir()
    echo(f"moved the Label Studio database from {nested} to {data_dir}")
    return nested


def _wait_healthy(url: str, alive: Callable[[], bool], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise ServerError(f"Label Studio exited during start-up; last lines of {log}: {_tail(log)}")
        if healthy(url):
            return
        time.sleep(0.5)
    raise ServerError(f"Label Studio did not answer {url}/health within {timeout:.0f} s; see {log}")


def stop_server(state: Path, timeout: float = 20.0) -> bool:
    """Stop the server started by :func:`start_server`; False when none was running."""
    _, pid_file, _ = _paths(state)
    pid = _read_pid(pid_file)
    if not _alive(pid):
        pid_file.unlink(missing_ok=True)
        return False
    assert pid is not None
    _signal_group(pid, signal.SIGTERM)  # SIGINT is ignored when started without job control
    deadline = time.monotonic() + timeout
    # Wait for the whole process group: a worker that outlives the main process still holds
    # the port, and a restart on the same port would find it busy.
    while (_alive(pid) or _group_alive(pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid) or _group_alive(pid):
        _signal_group(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while (_alive(pid) or _group_alive(pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    # The kernel closes the listening socket a moment after the process is gone: a start on
    # the same port right after this returns would find it busy.
    address = urlsplit(read_config(config_path(state)).get("url") or "")
    deadline = time.monotonic() + 5
    while address.port and not port_is_free(address.hostname or DEFAULT_HOST, address.port) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    return True


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group ``pgid`` is still running (zombies aside)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for stat_file in proc.glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state ppid pgrp ...
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
