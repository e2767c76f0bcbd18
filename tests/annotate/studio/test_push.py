"""Pure parts of a push that a second process or a lost answer must not break (issue 13)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from annotate.studio import push as push_module
from annotate.errors import ServerError, TransientServerError
from annotate.studio.push import _with_retries, duplicate_tasks, push_lock


def test_duplicates_keep_the_lowest_task_when_none_is_annotated():
    delete, kept = duplicate_tasks({"a:0-5": [(7, 0), (3, 0), (9, 0)], "b:6-9": [(4, 0)]})
    assert (delete, kept) == ([7, 9], 0)


def test_annotated_duplicates_are_never_deleted():
    delete, kept = duplicate_tasks({
        "a": [(3, 0), (7, 2)],          # the annotated one stays, even with a higher id
        "b": [(4, 1), (8, 1), (12, 0)],  # both annotated stay (one counted as kept), the blank goes
        "c": [(5, 0)],
    })
    assert delete == [3, 12]
    assert kept == 1


def test_no_duplicates_nothing_to_do():
    assert duplicate_tasks({"a": [(1, 0)], "b": [(2, 3)]}) == ([], 0)


@pytest.fixture
def no_sleep(monkeypatch):
    slept = []
    monkeypatch.setattr(push_module.time, "sleep", slept.append)
    return slept


def test_a_batch_saved_before_its_answer_was_lost_is_not_sent_again(no_sleep):
    server: list[str] = []
    sent = []

    def send(batch):
        sent.append(list(batch))
        server.extend(batch)  # saved...
        if len(sent) == 1:
            raise TransientServerError("lost the connection")  # ...but the answer is lost
        return len(batch)

    arrived = _with_retries(send, lambda batch: [item for item in batch if item not in server], ["a", "b", "c"])
    assert arrived == 3
    assert sent == [["a", "b", "c"]]
    assert server == ["a", "b", "c"]
    assert no_sleep == [1.0]


def test_only_what_did_not_arrive_is_sent_again(no_sleep):
    server: list[str] = []
    sent = []

    def send(batch):
        sent.append(list(batch))
        if len(sent) == 1:
            server.append(batch[0])  # half saved, then the server fell over
            raise TransientServerError("HTTP 502")
        server.extend(batch)
        return len(batch)

    arrived = _with_retries(send, lambda batch: [item for item in batch if item not in server], ["a", "b"])
    assert (arrived, sent, server) == (2, [["a", "b"], ["b"]], ["a", "b"])


def test_a_server_still_down_while_checking_is_waited_for_then_given_up_on(no_sleep):
    def send(batch):
        raise TransientServerError("lost the connection")

    def pending(batch):
        raise ServerError("cannot reach Label Studio")

    with pytest.raises(ServerError, match="cannot reach"):
        _with_retries(send, pending, ["a"], waits=(1.0, 2.0, 4.0))
    assert no_sleep == [1.0, 2.0, 4.0]


def test_a_refusal_is_not_retried(no_sleep):
    def send(batch):
        raise ServerError("HTTP 400: invalid task")

    with pytest.raises(ServerError, match="400"):
        _with_retries(send, lambda batch: batch, ["a"])
    assert no_sleep == []


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from annotate.studio.push import push_lock
with push_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_push_waits_for_the_lock(tmp_path):
    lock = tmp_path / "state" / "push.lock"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(lock), "1.5"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    waited = []
    started = time.monotonic()
    with push_lock(lock, on_wait=lambda: waited.append(time.monotonic())):
        got_it = time.monotonic()
    assert holder.wait(timeout=30) == 0
    assert len(waited) == 1
    assert got_it - started > 0.5  # it did wait for the holder to let go
    with push_lock(lock, on_wait=lambda: waited.append("again")):  # free now: no wait
        pass
    assert len(waited) == 1


def test_a_killed_holder_releases_the_lock(tmp_path):
    lock = tmp_path / "push.lock"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(lock), "600"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait(timeout=30)
    with push_lock(lock, on_wait=lambda: pytest.fail("the lock of a killed process is still held")):
        pass


def test_the_final_duplicate_check_waits_for_a_restarting_server(no_sleep):
    from annotate.studio.push import _retry_transient

    calls = []

    def check():
        calls.append(1)
        if len(calls) < 3:
            raise TransientServerError("cannot reach Label Studio")
        return (0, 0)

    assert _retry_transient(check) == (0, 0)
    assert no_sleep == [1.0, 2.0]
    with pytest.raises(ServerError, match="refused the API key"):  # not transient: no wait
        _retry_transient(lambda: (_ for _ in ()).throw(ServerError("refused the API key")))
    assert no_sleep == [1.0, 2.0]


def test_an_annotation_the_task_list_does_not_show_yet_keeps_its_task() -> None:
    """The list's counts can lag behind an annotation just saved: the annotations are counted again
    before anything is deleted, and an annotated copy stays."""
    from annotate.studio.push import remove_duplicates

    class Stale:  # a stand-in for the client: a listing that shows no annotation, and the truth
        deleted: list[int] = []

        def annotation_counts(self, task_ids):
            return {task: (1 if task == 9 else 0) for task in task_ids}

        def delete_tasks(self, project_id, task_ids):
            self.deleted = list(task_ids)

    client = Stale()
    listing = {"a:0-5": [(3, 0), (9, 0)], "b:6-9": [(4, 0), (5, 0)]}
    assert remove_duplicates(client, 1, listing) == (2, 0)
    assert client.deleted == [3, 5]  # task 9 holds an annotation: the blank copy of a:0-5 goes instead
