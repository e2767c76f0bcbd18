"""Sentence -> Label Studio task: a pure conversion.

The task's data keys are read by the labeling config (``$text``, ``$paragraph``,
``$title``), and ``sentence_id`` is the key that makes pushes idempotent.
"""

from __future__ import annotations

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
