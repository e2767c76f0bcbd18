"""Sentence -> Label Studio task, and back: pure conversions.

The task's data keys are read by the labeling config (``$text``, ``$paragraph``,
``$title``), and ``sentence_id`` is the key that makes pushes idempotent.
"""

from __future__ import annotations

from annotate.errors import InputError
from annotate.text.corpus import Sentence


def sentence_to_task(sentence: Sentence, predictions: list[dict] | None = None) -> dict:
    task: dict = {
        "data": {
            "sentence_id": sentence.id,
            "text": sentence.text,
            "paragraph": sentence.paragraph,
            "title": sentence.title,
            "outlet": sentence.outlet,
            "date": sentence.date,
            "url": sentence.url,
            "author": sentence.author,
            "article_id": sentence.article_id,
            "paragraph_index": sentence.paragraph_index,
            "start": sentence.start,
            "end": sentence.end,
        }
    }
    if predictions:
        task["predictions"] = predictions
    return task


def task_to_sentence(task: object, position: int = 0) -> Sentence:
    """A Label Studio task (from `propa push`: its data holds the sentence) -> the Sentence again;
    ``position`` names a task without an id in errors."""
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise InputError(f"task {position}: expected an object with 'data'")
    data, name = task["data"], f"task {task.get('id', position)}"
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{name}: no 'text' in its data (the tasks of a propa project come from `propa push`)")
    sentence_id = str(data.get("sentence_id") or f"task:{task.get('id', position)}")
    try:
        start = int(data.get("start") or 0)
        end = int(data.get("end") or start + len(text))
        paragraph_index = int(data.get("paragraph_index") or 0)
    except (TypeError, ValueError):
        raise InputError(f"{name}: 'start', 'end' and 'paragraph_index' must be integers") from None
    return Sentence(id=sentence_id, article_id=str(data.get("article_id") or sentence_id),
                    paragraph_index=paragraph_index, start=start, end=end, text=text,
                    paragraph=str(data.get("paragraph") or text), title=str(data.get("title") or ""),
                    outlet=str(data.get("outlet") or ""), url=str(data.get("url") or ""),
                    date=str(data.get("date") or ""), author=str(data.get("author") or ""))
