"""The Label Studio boundary: the only module that imports ``label_studio_sdk``.

Everything here is a thin call to the server with its failures turned into one-line
``ServerError``s naming the server. Conversions to and from Label Studio's JSON live in
pure modules (``annotate.tasks``, ``annotate.export``) and are tested without a server.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any, Iterable, Iterator

import httpx

from annotate.errors import PropaError, ServerError
from annotate.settings import KEY_ENV, Connection

# Server-side timings measured on these machines (NOTES.md and bench/push_pull.py): one
# import call of 1,000 tasks takes well under a second; listing 10,000 tasks about 7 s.
IMPORT_BATCH = 1000
LIST_PAGE = 1000


@contextlib.contextmanager
def _calls(conn: Connection, what: str) -> Iterator[None]:
    """Turn the SDK's and httpx's failures into one clear line."""
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except httpx.ConnectError as err:
        raise ServerError(
            f"cannot reach Label Studio at {conn.url} ({what}: {type(err).__name__}); "
            "is it running? Try `propa server status`"
        ) from None
    except httpx.TimeoutException:
        raise ServerError(f"Label Studio at {conn.url} timed out ({what})") from None
    except httpx.TransportError as err:  # the connection broke: the server died or restarted
        raise ServerError(
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
        raise ServerError(
            f"Label Studio at {conn.url} answered HTTP {err.status_code} while {what}: {body[:300]}"
        ) from None


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
        with _calls(self.conn, "listing projects"):
            matches = [p for p in self.sdk.projects.list(title=ref, page_size=100) if p.title == ref]
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

    def update_project(self, project_id: int, **fields: Any) -> Any:
        with _calls(self.conn, f"updating project {project_id}"):
            return self.sdk.projects.update(id=project_id, **fields)

    def get_project(self, project_id: int) -> Any:
        with _calls(self.conn, f"reading project {project_id}"):
            return self.sdk.projects.get(id=project_id)

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

    def import_predictions(self, project_id: int, predictions: list[dict]) -> int:
        """Add predictions ({task, result, score, model_version}) to existing tasks in one call."""
        from label_studio_sdk import PredictionRequest

        request = [PredictionRequest(task=p["task"], result=p["result"], score=p.get("score"),
                                     model_version=p.get("model_version")) for p in predictions]
        with _calls(self.conn, f"importing {len(predictions)} predictions into project {project_id}"):
            response = self.sdk.projects.import_predictions(id=project_id, request=request)
        return int(getattr(response, "created", None) or len(predictions))

    def import_tasks(self, project_id: int, tasks: list[dict]) -> int:
        """Import one batch of tasks (with their predictions, if any) in one call."""
        with _calls(self.conn, f"importing {len(tasks)} tasks into project {project_id}"):
            response = self.sdk.projects.import_tasks(id=project_id, request=tasks)
        return int(response.task_count or 0)

    def export_tasks(self, project_id: int, poll: float = 0.3, timeout: float = 1800.0) -> list[dict]:
        """Every task with a completed annotation, annotations whole (a snapshot export).

        Measured faster than the synchronous export and than paging the tasks API with
        annotations (NOTES.md, bench/push_pull.py). The snapshot is deleted afterwards.
        """
        with _calls(self.conn, f"exporting project {project_id}"):
            export = self.sdk.projects.exports.create(
                id=project_id, title="propa pull",
                task_filter_options={"annotated": "only"},
                serialization_options={"drafts": {"only_id": True}, "predictions": {"only_id": True}},
            )
            deadline = time.monotonic() + timeout
            try:
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
                with contextlib.suppress(Exception):
                    self.sdk.projects.exports.delete(id=project_id, export_pk=export.id)
        try:
            tasks = json.loads(data)
        except json.JSONDecodeError:
            raise ServerError(f"Label Studio at {self.conn.url} sent an export that is not JSON") from None
        if not isinstance(tasks, list):
            raise ServerError(f"Label Studio at {self.conn.url} sent an unexpected export (not a list)")
        return tasks

    def user_emails(self) -> dict[int, str]:
        with _calls(self.conn, "listing users"):
            return {u.id: (u.email or u.username or str(u.id)) for u in self.sdk.users.list()}

    # -- annotations (used by tests and benchmarks to act as annotators) ------------

    def create_annotation(self, task_id: int, result: list[dict], **fields: Any) -> Any:
        with _calls(self.conn, f"annotating task {task_id}"):
            return self.sdk.annotations.create(id=task_id, result=result, **fields)


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
