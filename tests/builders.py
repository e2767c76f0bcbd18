"""Test data and helpers shared by several test modules (fixtures live in conftest.py): a small
SemEval-2023 folder, training configs and checks on a model folder, hand-counted agreement data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

from annotate.dataset import load_dataset_dict, read_labelled_jsonl
from annotate.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent

# -- a small SemEval-2023 Task 3 folder, written in the task's format from invented French sentences:
# one article with CRLF line endings (span offsets count two characters per line break), one with
# LF and no final newline, one without any technique and no span file.

CRLF_ID, LF_ID, PLAIN_ID = "7001", "7002", "7003"
CRLF_LINES = [
    "Le conseil municipal vote un budget record",
    "",
    "Selon le maire, ce budget est « le plus ambitieux de l'histoire de la ville ». "
    "Les opposants dénoncent une folie dépensière.",
    "",
    "Tout le monde sait que les impôts vont exploser. Personne ne peut le nier.",
    "",
    "La séance a été levée à 22 heures.",
]
LF_LINES = [
    "Pénurie d'eau : les agriculteurs inquiets",
    "",
    "Soit nous construisons des réserves, soit l'agriculture française disparaîtra.",
    "",
    "Le préfet a reçu une délégation jeudi. Et ses partenaires ? Ils ont fait bien pire l'an dernier.",
    "   ",  # white space only: a blank line
    "Source : agence régionale",
]
PLAIN_LINES = ["Un titre sans histoire", "", "  La météo sera clémente demain.  ", ""]
RAW = {
    CRLF_ID: "\r\n".join(CRLF_LINES) + "\r\n",
    LF_ID: "\n".join(LF_LINES),  # no final line break
    PLAIN_ID: "\n".join(PLAIN_LINES),
}
# (technique, substring of the raw article): offsets are found by searching the raw text,
# so the CRLF article's offsets count its "\r".
SPANS = {
    CRLF_ID: [
        # takes in the space after the sentence, so it ends where the next sentence starts: with
        # half-open intervals that sentence does not get it (the real data has such spans)
        ("Exaggeration-Minimisation", "le plus ambitieux de l'histoire de la ville ». "),
        ("Loaded_Language", "une folie dépensière"),
        # crosses from line 3 into line 5, over two CRLF blank-line breaks
        ("Consequential_Oversimplification",
         "folie dépensière.\r\n\r\nTout le monde sait que les impôts vont exploser"),
        # covers both sentences of line 5
        ("Appeal_to_Popularity", "Tout le monde sait que les impôts vont exploser. Personne ne peut le nier."),
        ("Conversation_Killer", "Personne ne peut le nier"),
    ],
    LF_ID: [
        ("False_Dilemma-No_Choice", "Soit nous construisons des réserves, soit l'agriculture française disparaîtra"),
        # starts on the space that ends the previous sentence, which therefore does not get it
        ("Whataboutism", " Et ses partenaires ? Ils ont fait bien pire"),
    ],
}
# labels.txt, techniques deliberately not in taxonomy order
LABEL_ROWS = [
    (CRLF_ID, 1, ""),
    (CRLF_ID, 3, "Exaggeration-Minimisation,Loaded_Language,Consequential_Oversimplification"),
    (CRLF_ID, 5, "Conversation_Killer,Consequential_Oversimplification,Appeal_to_Popularity"),
    (CRLF_ID, 7, ""),
    (LF_ID, 1, ""),
    (LF_ID, 3, "False_Dilemma-No_Choice"),
    (LF_ID, 5, "Whataboutism"),
    (LF_ID, 7, ""),
    (PLAIN_ID, 1, ""),
    (PLAIN_ID, 3, ""),
]
# paragraph text -> labels in taxonomy order
PARAGRAPH_LABELS = {
    CRLF_LINES[0]: [],
    CRLF_LINES[2]: ["Consequential_Oversimplification", "Loaded_Language", "Exaggeration-Minimisation"],
    CRLF_LINES[4]: ["Appeal_to_Popularity", "Consequential_Oversimplification", "Conversation_Killer"],
    CRLF_LINES[6]: [],
    LF_LINES[0]: [],
    LF_LINES[2]: ["False_Dilemma-No_Choice"],
    LF_LINES[4]: ["Whataboutism"],
    LF_LINES[6]: [],
    PLAIN_LINES[0]: [],
    PLAIN_LINES[2].strip(): [],
}
# paragraph text -> (technique, cue text) after clipping to the paragraph
PARAGRAPH_SPANS = {
    CRLF_LINES[2]: {("Exaggeration-Minimisation", "le plus ambitieux de l'histoire de la ville ». "),
                    ("Loaded_Language", "une folie dépensière"),
                    ("Consequential_Oversimplification", "folie dépensière.")},
    CRLF_LINES[4]: {("Consequential_Oversimplification", "Tout le monde sait que les impôts vont exploser"),
                    ("Appeal_to_Popularity", CRLF_LINES[4]),
                    ("Conversation_Killer", "Personne ne peut le nier")},
    LF_LINES[2]: {("False_Dilemma-No_Choice", SPANS[LF_ID][0][1])},
    LF_LINES[4]: {("Whataboutism", " Et ses partenaires ? Ils ont fait bien pire")},
}
SENTENCE_LABELS = {
    CRLF_LINES[0]: [],
    "Selon le maire, ce budget est « le plus ambitieux de l'histoire de la ville ».": ["Exaggeration-Minimisation"],
    "Les opposants dénoncent une folie dépensière.": ["Consequential_Oversimplification", "Loaded_Language"],
    "Tout le monde sait que les impôts vont exploser.": ["Appeal_to_Popularity", "Consequential_Oversimplification"],
    "Personne ne peut le nier.": ["Appeal_to_Popularity", "Conversation_Killer"],
    CRLF_LINES[6]: [],
    LF_LINES[0]: [],
    LF_LINES[2]: ["False_Dilemma-No_Choice"],
    "Le préfet a reçu une délégation jeudi.": [],  # its paragraph has Whataboutism, it has not
    "Et ses partenaires ?": ["Whataboutism"],
    "Ils ont fait bien pire l'an dernier.": ["Whataboutism"],
    LF_LINES[6]: [],
    PLAIN_LINES[0]: [],
    PLAIN_LINES[2].strip(): [],
}


def span_file(folder: Path, article_id: str) -> Path:
    return folder / "spans" / f"article{article_id}-labels-subtask-3.txt"


def write_semeval(folder: Path, renamed: dict[str, str] | None = None) -> Path:
    """The small SemEval folder at ``folder``; ``renamed`` gives some articles other ids."""
    name = (renamed or {}).get
    (folder / "articles").mkdir(parents=True)
    (folder / "spans").mkdir()
    for article_id, raw in RAW.items():
        (folder / "articles" / f"article{name(article_id, article_id)}.txt").write_bytes(raw.encode("utf-8"))
    for article_id, spans in SPANS.items():
        raw = RAW[article_id]
        lines = []
        for technique, text in spans:
            assert raw.count(text) == 1, text
            start = raw.index(text)
            lines.append(f"{name(article_id, article_id)}\t{technique}\t{start}\t{start + len(text)}")
        ending = "\r\n" if article_id == CRLF_ID else "\n"  # the official span files use CRLF
        span_file(folder, name(article_id, article_id)).write_bytes((ending.join(lines) + ending).encode("utf-8"))
    (folder / "labels.txt").write_text("".join(f"{name(a, a)}\t{n}\t{t}\n" for a, n, t in LABEL_ROWS),
                                       encoding="utf-8")
    return folder


# -- training ----------------------------------------------------------------------------

TAX = load_taxonomy()
LABELLED = ROOT / "corpus" / "labelled" / "seed_fr.jsonl"
TINY_CAMEMBERT = {"model": "scratch", "epochs": 2, "batch_size": 16, "max_length": 48, "learning_rate": 0.001,
                  "patience": 5, "threads": 1,
                  "scratch": {"vocab_size": 300, "hidden_size": 32, "layers": 1, "heads": 2,
                              "intermediate_size": 64, "max_position": 64}}


def labelled_rows() -> list[dict]:
    """corpus/labelled/seed_fr.jsonl (sentences of 48 invented articles) as dataset rows."""
    return read_labelled_jsonl(LABELLED, TAX)


def write_config(folder: Path, name: str, data: Path, **sections) -> Path:
    config = {"family": "camembert" if "camembert" in sections else "tfidf", "data": str(data),
              "output": str(folder / name), "seed": 13, **sections}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def fresh_process_scores(model_dir: Path, texts: list[str]) -> np.ndarray:
    """Load the model folder in a new interpreter and score ``texts`` there."""
    code = ("import json, sys\nfrom train.models.model import load_model\n"
            "m = load_model(sys.argv[1], threads=1)\n"
            "print(json.dumps(m.scores(json.loads(sys.argv[2])).tolist()))")
    done = subprocess.run([sys.executable, "-c", code, str(model_dir), json.dumps(texts)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return np.array(json.loads(done.stdout.strip().splitlines()[-1]))


def assert_no_pickle(folder: Path) -> None:
    for path in folder.iterdir():
        assert path.suffix not in (".bin", ".pkl", ".pickle", ".pt", ".joblib"), path
        assert not path.read_bytes()[:2] == b"\x80\x04", f"{path} looks like a pickle"


def dev_texts(split: Path) -> list[str]:
    return list(load_dataset_dict(split)["dev"]["text"])


# -- agreement, counted by hand --------------------------------------------------------

SL = "speculative_link"
VS = "vague_sourcing"

# speculative_link chosen by A, B, C on four sentences (1 = chosen):
#   s1: 1 1 1   s2: 1 0 1   s3: 0 0 0   s4: 0 0 1
# Krippendorff's alpha (nominal), by hand: coincidences o11 = 4, o00 = 4, o01 = o10 = 2,
# n = 12, n0 = n1 = 6; Do = 4/12, De = 2*6*6/(12*11) = 72/132; alpha = 1 - Do/De = 7/18.
# Cohen's kappa: A|B po 3/4 pe 1/2 -> 0.5; A|C po 3/4 pe 1/2 -> 0.5; B|C po 1/2 pe 3/8 -> 0.2.
CHOSEN = {"s1": "111", "s2": "101", "s3": "000", "s4": "001"}
ANNOTATORS = ("a@x.org", "b@x.org", "c@x.org")
HAND_ALPHA = 7 / 18
HAND_KAPPA = {"a@x.org | b@x.org": 0.5, "a@x.org | c@x.org": 0.5, "b@x.org | c@x.org": 0.2}
