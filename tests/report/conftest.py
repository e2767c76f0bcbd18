"""Fixtures of the report tests (their inputs are made in tests/report/builders.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.report.builders import gold_rows


@pytest.fixture(scope="session")
def pulled_gold(tmp_path_factory) -> Path:
    """A pull folder holding the gold set's rows (annotations.jsonl)."""
    folder = tmp_path_factory.mktemp("pulled")
    (folder / "annotations.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in gold_rows()),
                                              encoding="utf-8")
    return folder
