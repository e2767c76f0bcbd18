"""The Label Studio boundary: the only module that imports ``label_studio_sdk``.

Everything here is a thin call to the server with its failures turned into one-line
``ServerError``s naming the server. Conversions to and from Label Studio's JSON live in
pure modules (``annotate.studio.tasks``, ``annotate.studio.export``) and are tested without a server.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

import httpx

from annotate.errors import PropaError, ServerError, TransientServerError
from annotate.studio.settings import KEY_ENV, Connection

# Server-side timings measured on these machines (NOTES.md and bench/push_pull.py): one
# import call of 1,000 tasks takes well under a second; listing 10,000 tasks about 7 s.
IMPORT_BATCH = 1000
LIST_PAGE = 1000
# Every export snapshot propa creates is titled "propa pull <run id>": how a run finds the
# snapshots it made (a retried request can make two) and a later run those a dead server kept.
EXPORT_TITLE = "propa pull"
# Imports go out once: the SDK would resend a batch whose answer was lost (a dropped
# connection, a 5xx), and a batch the server had saved would be there twice. The caller
# checks what arrived before sending again (annotate.studio.push).
_IMPORT_CALL = {"max_retries": 0}
# HTTP statuses worth another try once what arrived has been checked (the SDK's own list).
RETRYABLE_STATUS = frozenset({408, 409, 429}) | frozenset(range(500, 600))
# Cleanup calls go out once, briefly: they run on the way out, often because the server is gone.
_CLEANUP_CALL = {"max_retries": 0, "timeout_in_seconds": 30}


@contextlib.contextmanager
def _calls(conn: Connection, what: str) -> Iterator[None]:
    """Turn the SDK's and httpx's failures into one clear line."""
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except httpx.ConnectError as err:  # down, or restarting: transient for the loops that wait
        raise TransientServerError(
            f"cannot reach Label Studio at {conn.url} ({what}: {type(err).__name__}); "
            "is it running? Try `propa server status`"
        ) from None
    except httpx.TimeoutException:  # it may have done the work: transient, so checked before a resend
        raise TransientServerError(f"Label Studio at {conn.url} timed out ({what})") from None
    except httpx.TransportError as err:  # the connection broke: the server died or restarted
        raise TransientServerError(
            f"lost the connection to Label Studio at {conn.url} ({what}: {type(err).__name__}); "
            "what was sent before is kept: rerun the command once the server is back"
        ) from None
    except ApiError as err:
        if err.status_code in (401, 403):
            raise ServerError(
                f"Label Studio at {conn.url} refused the API key (HTTP {err.status_code}) while {what}; "
                f"check {KEY_ENV} or the local config"
            ) from None
        body = err.body if isinstance(err.body, str) else json.dumps(err.body, ensure_ascii=False)
        kind = TransientServerError if err.status_code in RETRYABLE_STATUS else ServerError
        raise kind(
            f"Label Studio at {conn.url} answered HTTP {err.status_code} while {what}: {body[:300]}"
        ) from None


@contextlib.contextmanager
def _termination_as_exit() -> Iterator[None]:
    """Turn SIGTERM into ``SystemExit`` while the block runs, so its ``finally`` clauses run.

    Python's default for SIGTERM ends the process on the spot. Only in the main thread and
    only where no handler is installed already; the default comes back after the block.
    """
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _is_ours(export: Any, user_id: int | None) -> bool:
    title = export.title or ""
    created_by = getattr(export.created_by, "id", None)
    return (title == EXPORT_TITLE or title.startswith(f"{EXPORT_TITLE} ")) and created_by == user_id


class LabelStudioClient:
    """A connection to one server, checked when opened."""

    def __init__(self, conn: Connection, timeout: float = 120.0) -> None:
        from label_studio_sdk import LabelStudio

        self.conn = conn
        # base_url and api_key always explicit: the SDK otherwise reads the environment
        # at import time and defaults to port 8000.
        self.sdk = LabelStudio(base_url=conn.url, api_key=conn.api_key, timeout=timeout)
        with _calls(conn, "checking the API key"):
            self.user = self.sdk.users.whoami()

    # -- projects -------------------------------------------------------------------

    def project_url(self, project_id: int) -> str:
        return f"{self.conn.url}/projects/{project_id}/data"

    def find_project(self, ref: str) -> Any | None:
        """A project by id (digits) or exact title; None when no title matches."""
        from label_studio_sdk.core.api_error import ApiError

        if ref.isdigit():
            with _calls(self.conn, f"reading project {ref}"):
                try:
                    return self.sdk.projects.get(id=int(ref))
                except ApiError as err:
                    if err.status_code == 404:
                        raise PropaError(f"no project with id {ref} on {self.conn.url}") from None
                    raise
        matches = self.projects_titled(ref)
        if len(matches) > 1:
            ids = ", ".join(str(p.id) for p in matches)
            raise PropaError(f"several Label Studio projects are titled '{ref}' (ids {ids}); pass --project ID")
        return matches[0] if matches else None

    def delete_project(self, project_id: int) -> None:
        with _calls(self.conn, f"deleting project {project_id}"):
            self.sdk.projects.delete(id=project_id)

    def validate_label_config(self, label_config: str, project_id: int) -> None:
        """The server's strict check, which also refuses removing labels already in use."""
        with _calls(self.conn, "validating the labeling config"):
            self.sdk.projects.validate_label_config(id=project_id, label_config=label_config)

    def create_project(self, title: str, label_config: str, instructions: str, **settings: Any) -> Any:
        with _calls(self.conn, f"creating project '{title}'"):
            return self.sdk.projects.create(
                title=title, label_config=label_config, expert_instruction=instructions,
                show_instruction=True, **settings,
            )

    def create_view(self, project_id: int, title: str, ordering: list[str], hidden: list[str]) -> Any:
        """A Data Manager tab: ``ordering`` column ids ("tasks:predictions_score"), ``hidden``
        columns hidden both in the list and beside the labeling screen."""
        data = {"title": title, "type": "list", "target": "tasks", "ordering": ordering,
                "hiddenColumns": {"explore": hidden, "labeling": hidden},
                "filters": {"conjunction": "and", "items": []}}
        with _calls(self.conn, f"creating a view of project {project_id}"):
            return self.sdk.views.create(project=project_id, data=data)

    def views(self, project_id: int) -> list[Any]:
        with _calls(self.conn, f"listing the views of project {project_id}"):
            return list(self.sdk.views.list(project=project_id))

    def update_project(self, project_id: int, **fields: Any) -> Any:
        with _calls(self.conn, f"updating project {project_id}"):
            return self.sdk.projects.update(id=project_id, **fields)

    def get_project(self, project_id: int) -> Any:
        with _calls(self.conn, f"reading project {project_id}"):
            return self.sdk.projects.get(id=project_id)

    # -- model backends ------------------------------------------------------------

    def connect_backend(self, project_id: int, url: str, title: str,
                        basic_auth: tuple[str, str] | None = None) -> tuple[int, bool]:
        """Register the model backend at ``url`` on the project, or update the one already there
        (same URL): (its id, whether it was created). Label Studio checks it (/health, /setup)
        before answering, and creates the webhook that carries annotation events to it."""
        auth = {"auth_method": "BASIC_AUTH", "basic_auth_user": basic_auth[0], "basic_auth_pass": basic_auth[1]} \
            if basic_auth else {"auth_method": "NONE"}
        try:
            with _calls(self.conn, f"listing the model backends of project {project_id}"):
                existing = [b for b in self.sdk.ml.list(project=project_id) if (b.url or "").rstrip("/") == url]
            if existing:
                with _calls(self.conn, f"updating the model backend of project {project_id}"):
                    # project and url too: Label Studio 1.23.2 answers 500 to an update without them
                    self.sdk.ml.update(existing[0].id, project=project_id, url=url, title=title, auto_update=True,
                                       **auth)
                return existing[0].id, False
            with _calls(self.conn, f"connecting the model backend {url} to project {project_id}"):
                created = self.sdk.ml.create(project=project_id, url=url, title=title, auto_update=True,
                                             is_interactive=False, **auth)
            return created.id, True
        except ServerError as err:
            raise ServerError(refused_backend(str(err))) from None

    def webhook_urls(self, project_id: int) -> list[str]:
        with _calls(self.conn, f"listing the webhooks of project {project_id}"):
            return [w.url for w in self.sdk.webhooks.list(project=str(project_id))]

    def backend_predict(self, project_id: int, task_ids: list[int] | None = None) -> None:
        """Ask the project's model backend for predictions (the Data Manager's "Retrieve
        predictions"): every task, or ``task_ids``."""
        selected = {"all": False, "included": task_ids} if task_ids is not None else {"all": True}
        with _calls(self.conn, f"retrieving predictions for project {project_id}"):
            self.sdk.actions.create(id="retrieve_tasks_predictions", project=project_id, selected_items=selected)

    # -- tasks ----------------------------------------------------------------------

    def task_ids_by_sentence(self, project_id: int) -> dict[str, int]:
        """sentence id -> task id for every task of the project that has one."""
        found: dict[str, int] = {}
        with _calls(self.conn, f"listing the tasks of project {project_id}"):
            for task in self.sdk.tasks.list(project=project_id, include="id,data", page_size=LIST_PAGE):
                sentence_id = (task.data or {}).get("sentence_id")
                if sentence_id is not None:
                    found.setdefault(str(sentence_id), task.id)
        return found

    def prediction_versions_by_sentence(self, project_id: int) -> dict[str, tuple[int, frozenset[str]]]:
        """sentence id -> (task id, model versions of its predictions), for every task with a sentence id."""
        found: dict[str, tuple[int, frozenset[str]]] = {}
        with _calls(self.conn, f"listing the tasks of project {project_id}"):
            for task in self.sdk.tasks.list(project=project_id, include="id,data,predictions_model_versions",
                                            page_size=LIST_PAGE):
                sentence_id = (task.data or {}).get("sentence_id")
                if sentence_id is None or str(sentence_id) in found:
                    continue
                versions = getattr(task, "predictions_model_versions", None) or ""
                if isinstance(versions, str):
                    versions = [v.strip() for v in versions.split(",")]
                found[str(sentence_id)] = (task.id, frozenset(v for v in versions if v))
        return found

    def unlabelled_tasks(self, project_id: int) -> list[dict]:
        """{"id", "data"} of every task nobody has annotated yet (what a new model pre-annotates)."""
        with _calls(self.conn, f"listing the tasks of project {project_id}"):
            return [{"id": task.id, "data": task.data or {}}
                    for task in self.sdk.tasks.list(project=project_id, include="id,data,total_annotations",
                                                    page_size=LIST_PAGE)
                    if not getattr(task, "total_annotations", 0)]

    def tasks_by_sentence(self, project_id: int) -> dict[str, list[tuple[int, int]]]:
        """sentence id -> [(task id, annotations)] for every task with one, duplicates included."""
        found: dict[str, list[tuple[int, int]]] = {}
        with _calls(self.conn, f"listing the tasks of project {project_id}"):
            for task in self.sdk.tasks.list(project=project_id, include="id,data,total_annotations",
                                            page_size=LIST_PAGE):
                sentence_id = (task.data or {}).get("sentence_id")
                if sentence_id is not None:
                    found.setdefault(str(sentence_id), []).append((task.id, int(task.total_annotations or 0)))
        return found

    def annotation_counts(self, task_ids: list[int]) -> dict[int, int]:
        """task id -> its annotations, counted from the annotations themselves (one call a task:
        for the few tasks about to be deleted, not for a whole project)."""
        from label_studio_sdk.core.api_error import ApiError

        counts = {}
        for task_id in task_ids:
            with _calls(self.conn, f"reading the annotations of task {task_id}"):
                try:
                    counts[task_id] = len(self.sdk.annotations.list(id=task_id))
                except ApiError as err:
                    if err.status_code != 404:
                        raise
                    counts[task_id] = 0  # deleted meanwhile (another push repairing the same duplicates)
        return counts

    def delete_tasks(self, project_id: int, task_ids: list[int]) -> None:
        """Delete these tasks (Data Manager's bulk action, one call)."""
        if not task_ids:
            return
        with _calls(self.conn, f"deleting {len(task_ids)} tasks of project {project_id}"):
            self.sdk.actions.create(id="delete_tasks", project=project_id,
                                    selected_items={"all": False, "included": list(task_ids)})

    def projects_titled(self, title: str) -> list[Any]:
        """Every project with exactly this title, lowest id first."""
        with _calls(self.conn, "listing projects"):
            return sorted((p for p in self.sdk.projects.list(title=title, page_size=100) if p.title == title),
                          key=lambda p: p.id)

    def import_predictions(self, project_id: int, predictions: list[dict]) -> int:
        """Add predictions ({task, result, score, model_version}) to existing tasks in one call."""
        from label_studio_sdk import PredictionRequest

        request = [PredictionRequest(task=p["task"], result=p["result"], score=p.get("score"),
                                     model_version=p.get("model_version")) for p in predictions]
        with _calls(self.conn, f"importing {len(predictions)} predictions into project {project_id}"):
            response = self.sdk.projects.import_predictions(id=project_id, request=request,
                                                            request_options=_IMPORT_CALL)
        return int(getattr(response, "created", None) or len(predictions))

    def import_tasks(self, project_id: int, tasks: list[dict]) -> int:
        """Import one batch of tasks (with their predictions, if any) in one call."""
        with _calls(self.conn, f"importing {len(tasks)} tasks into project {project_id}"):
            response = self.sdk.projects.import_tasks(id=project_id, request=tasks, request_options=_IMPORT_CALL)
        return int(response.task_count or 0)

    def export_tasks(self, project_id: int, poll: float = 0.3, timeout: float = 1800.0) -> list[dict]:
        """Every task with a completed annotation, annotations whole (a snapshot export).

        Measured faster than the synchronous export and than paging the tasks API with
        annotations (NOTES.md, bench/push_pull.py). The snapshots this call makes are deleted
        on every way out (an error, Ctrl-C, SIGTERM); ours that a pull cut off by a dead
        server left behind are deleted once older than ``timeout``.
        """
        self.delete_exports(project_id, older_than=timeout)
        title = f"{EXPORT_TITLE} {uuid.uuid4().hex[:12]}"
        with _termination_as_exit():
            try:
                with _calls(self.conn, f"exporting project {project_id}"):
                    export = self.sdk.projects.exports.create(
                        id=project_id, title=title,
                        task_filter_options={"annotated": "only"},
                        serialization_options={"drafts": {"only_id": True}, "predictions": {"only_id": True}},
                    )
                    deadline = time.monotonic() + timeout
                    while True:
                        state = self.sdk.projects.exports.get(id=project_id, export_pk=export.id)
                        if state.status == "completed":
                            break
                        if state.status == "failed":
                            raise ServerError(f"Label Studio at {self.conn.url} failed to export project {project_id}")
                        if time.monotonic() > deadline:
                            raise ServerError(f"export of project {project_id} did not finish in {timeout:.0f} s")
                        time.sleep(poll)
                    data = b"".join(self.sdk.projects.exports.download(
                        id=project_id, export_pk=export.id, export_type="JSON"))
            finally:
                # By title, not by the id create() returned: a create retried after a dropped
                # connection makes a second snapshot, and one cut off returns no id at all.
                # A failure here must not hide the error that brought us here; what stays
                # behind goes with a later pull.
                with contextlib.suppress(Exception):
                    self.delete_exports(project_id, title=title)
        try:
            tasks = json.loads(data)
        except json.JSONDecodeError:
            raise ServerError(f"Label Studio at {self.conn.url} sent an export that is not JSON") from None
        if not isinstance(tasks, list):
            raise ServerError(f"Label Studio at {self.conn.url} sent an unexpected export (not a list)")
        return tasks

    def server_time(self) -> datetime:
        """The server's clock (its Date header): what "updated since" is measured against."""
        from email.utils import parsedate_to_datetime

        with _calls(self.conn, "reading the server's time"):
            response = httpx.get(f"{self.conn.url}/health", timeout=30)
        date = response.headers.get("date")
        return parsedate_to_datetime(date).astimezone(timezone.utc) if date else datetime.now(timezone.utc)

    def tasks_updated_since(self, project_id: int, since: datetime) -> list[dict]:
        """Tasks of the project updated after ``since`` (an annotation or prediction saved or
        deleted moves a task's updated_at), whole; each annotation gets its parent
        prediction under ``prediction``, as the snapshot export gives it."""
        query = updated_since_query(since)
        tasks = []
        with _calls(self.conn, f"listing the tasks of project {project_id} updated since {since.isoformat()}"):
            for task in self.sdk.tasks.list(project=project_id, query=query, fields="all",
                                            page_size=LIST_PAGE):
                record = task.dict()
                predictions = {p.get("id"): p for p in record.get("predictions") or [] if isinstance(p, dict)}
                for annotation in record.get("annotations") or []:
                    parent = annotation.get("parent_prediction")
                    annotation["prediction"] = predictions.get(parent) if parent is not None else None
                tasks.append(record)
        return tasks

    def list_exports(self, project_id: int) -> list[Any]:
        """The project's export snapshots, whoever made them."""
        with _calls(self.conn, f"listing the export snapshots of project {project_id}"):
            return list(self.sdk.projects.exports.list(id=project_id, request_options=_CLEANUP_CALL))

    def delete_exports(self, project_id: int, title: str | None = None, older_than: float | None = None) -> int:
        """Delete export snapshots this user made with :meth:`export_tasks`: those titled
        ``title``, or those created more than ``older_than`` seconds ago. How many went."""
        now = datetime.now(timezone.utc)
        deleted = 0
        for export in self.list_exports(project_id):
            if not _is_ours(export, self.user.id):
                continue
            if title is not None and export.title != title:
                continue
            if older_than is not None and (
                export.created_at is None
                or (now - export.created_at.astimezone(timezone.utc)).total_seconds() < older_than
            ):
                continue
            with _calls(self.conn, f"deleting export snapshot {export.id} of project {project_id}"):
                self.sdk.projects.exports.delete(id=project_id, export_pk=export.id, request_options=_CLEANUP_CALL)
            deleted += 1
        return deleted

    # -- people -------------------------------------------------------------------------

    def invite_token(self) -> str:
        """The organisation's invite token: whoever opens /user/signup/?token=... can sign up."""
        with _calls(self.conn, "reading the organisation's invite link"):
            return self.sdk.organizations.invites.get_invite_link().token

    def sign_up(self, email: str, password: str) -> None:
        """Create an account the way a person does, through the invite link's signup form."""
        token = self.invite_token()
        url = self.conn.url
        with _calls(self.conn, f"signing up {email}"), \
                httpx.Client(base_url=url, follow_redirects=False, timeout=60) as browser:
            browser.get(f"/user/signup/?token={token}")
            response = browser.post(
                f"/user/signup/?token={token}",
                data={"email": email, "password": password, "csrfmiddlewaretoken": browser.cookies.get("csrftoken")},
                headers={"Referer": f"{url}/user/signup/"},
            )
        if response.status_code != 302:  # the form comes back with its error: taken, invalid...
            known = email.lower() in self.user_emails_lower()
            raise ServerError(f"{email}: " + ("already has an account on this server" if known else
                                              f"Label Studio refused the signup (HTTP {response.status_code})"))

    def user_emails_lower(self) -> set[str]:
        return {email.lower() for email in self.user_emails().values()}

    def user_emails(self) -> dict[int, str]:
        with _calls(self.conn, "listing users"):
            return {u.id: (u.email or u.username or str(u.id)) for u in self.sdk.users.list()}

    # -- annotations (used by tests and benchmarks to act as annotators) ------------

    def create_annotation(self, task_id: int, result: list[dict], **fields: Any) -> Any:
        with _calls(self.conn, f"annotating task {task_id}"):
            return self.sdk.annotations.create(id=task_id, result=result, **fields)


LOCAL_BACKEND_SETTINGS = ("ML_BLOCK_LOCAL_IP=false (and, for the webhook that carries annotation events, "
                          "SSRF_PROTECTION_ENABLED=false or USE_DEFAULT_BANNED_SUBNETS=false)")


def refused_backend(message: str) -> str:
    """The error of a refused model backend, with the settings to change when Label Studio refused
    it for its address (it blocks local and private addresses by default)."""
    lowered = message.lower()
    if "not allowed" in lowered or "ssrf" in lowered or "private network" in lowered:
        return (f"{message} -- Label Studio refuses model backends on local or private addresses unless "
                f"started with {LOCAL_BACKEND_SETTINGS}; `propa server start` sets them")
    return message


def updated_since_query(since: datetime) -> str:
    """The tasks API's query for tasks updated after ``since`` (see NOTES.md: exactly this
    time format, UTC), oldest update first."""
    stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps({"filters": {"conjunction": "and", "items": [
        {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime", "value": stamp}]},
        "ordering": ["tasks:updated_at"]})


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
