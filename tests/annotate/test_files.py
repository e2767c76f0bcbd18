"""The JSONL reader every input goes through streams, line by line, with its checks (issue 15)."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from annotate.files import jsonl_records
from annotate.errors import InputError


def test_records_come_one_line_at_a_time(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": 1}\n\n{"id": 2}\r\n{"id": 3, oops}\n', encoding="utf-8")
    records = jsonl_records(path)
    assert next(records) == (f"{path}:1", {"id": 1})  # given before the bad line is read
    assert next(records) == (f"{path}:3", {"id": 2})  # a CRLF line, line numbers kept
    with pytest.raises(InputError, match=rf"{path}:4: malformed JSON"):
        next(records)


def test_a_large_file_is_not_read_whole(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for number in range(200_000):
            handle.write(json.dumps({"id": number, "text": "x" * 100}) + "\n")
    size = path.stat().st_size  # about 24 MB
    tracemalloc.start()
    try:
        records = jsonl_records(path)
        for _ in range(1000):
            next(records)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < size / 20  # a line at a time; reading the file whole would take more than its size


def test_the_checks_of_a_text_file_still_hold(tmp_path):
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b'\xef\xbb\xbf{"id": 1}\n')
    assert list(jsonl_records(bom)) == [(f"{bom}:1", {"id": 1})]
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"id": 1}\n{"t": "\xe9"}\n')
    with pytest.raises(InputError, match=r"not valid UTF-8 \(byte 0xe9 at offset 17\)"):
        list(jsonl_records(latin))
    assert list(jsonl_records(latin, "cp1252"))[1][1] == {"t": "é"}
    wide = tmp_path / "wide.jsonl"  # UTF-16 has NUL bytes: refused as binary, as a whole-file read did
    wide.write_bytes('{"id": 1}\n'.encode("utf-16"))
    with pytest.raises(InputError, match="binary file"):
        list(jsonl_records(wide, "utf-16"))
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n \n", encoding="utf-8")
    with pytest.raises(InputError, match="empty file"):
        list(jsonl_records(blank))
    with pytest.raises(InputError, match="no such file"):
        list(jsonl_records(tmp_path / "missing.jsonl"))
