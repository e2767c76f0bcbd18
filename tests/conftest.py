import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "corpus" / "samples"
SHARED_SEMEVAL = ROOT.parent / "shared" / "data" / "semeval2023-fr"


@pytest.fixture
def article_dir(tmp_path: Path) -> Path:
    """Three small articles in the three formats ingest reads."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "alpha.txt").write_text(
        "Un titre\n\nPremière phrase. Selon des sources, tout va mal.\n\nSource : Divers\n", encoding="utf-8")
    (folder / "more.jsonl").write_text(
        json.dumps({"id": "beta", "title": "Bêta", "text": "Le ministère a indiqué que oui. Fin.",
                    "outlet": "Agence X", "date": "2026-01-02"}, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "more.csv").write_text(
        'id,title,text,url\ngamma,Gamma,"« Non. Jamais. », a-t-il dit.",https://example.org/g\n', encoding="utf-8")
    return folder


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
