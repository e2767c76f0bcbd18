"""Hostile and broken config files (issue 13, items 2 and 3): a YAML alias bomb is refused
at load with one short line naming file and line (a few aliases still load), every value
quoted in an error is cut,
and a model folder with a malformed train_config.yaml or non-finite thresholds is refused
with one line, from Python and from the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from annotate.cli import cli
from annotate.errors import InputError, quote
from annotate.quality.gold import load_gold_article
from annotate.studio.settings import read_config
from annotate.sources.registry import load_registry
from annotate.taxonomy import load_taxonomy
from tests.conftest import ROOT, SAMPLES
from train.models.config import load_train_config
from train.models.model import CONFIG_FILE, META_FILE, read_meta

SHORT = 300  # an error is one readable line, whatever the file holds
TFIDF = ROOT / "configs" / "train" / "tfidf.yaml"


def alias_bomb(first_key: str, levels: int = 6) -> str:
    """A "billion laughs" file: each level repeats the one above nine times.

    Six levels (half a million strings once written out) keep a regression cheap to run;
    the issue's 9-level taxonomy (387 bytes) is refused at the same alias: the first *l4 of
    line 6, where the aliases pass 100,000 values.
    """
    lines = [f'{first_key}: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"k{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def refused(error: pytest.ExceptionInfo, *fragments: str) -> str:
    message = str(error.value)
    assert len(message) < SHORT and "\n" not in message, message[:SHORT]
    for fragment in fragments:
        assert fragment in message, message
    return message


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- the quote helper ------------------------------------------------------------------

def test_quote_cuts_a_billion_laughs_without_writing_it_out() -> None:
    value: object = ["lol"] * 9
    for _ in range(8):  # nine levels: 9**9 strings once written out, nine lists in memory
        value = [value] * 9
    text = quote(value)
    assert len(text) == 80 and text.endswith("…") and text.startswith("[[[[[[[[['lol', ")
    assert len(quote("x" * 10_000, 20)) == 20


@pytest.mark.parametrize("value", [1, 2.5, None, "l'agence", ["a", 1], {"a": [1, 2]}, (1,), (1, 2), set()])
def test_quote_of_a_short_value_is_its_repr(value: object) -> None:
    assert quote(value) == repr(value)


# -- alias bombs: refused at the first alias, one short line ---------------------------

def test_taxonomy_alias_bomb_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "taxonomy.yaml", alias_bomb("version"))
    with pytest.raises(InputError) as error:
        load_taxonomy(path)
    refused(error, f"{path}:6: YAML alias *l4: ", "more than 100,000 values", "alias bomb")


def test_registry_alias_bomb_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "sources.yaml", alias_bomb("version"))
    with pytest.raises(InputError) as error:
        load_registry(path)
    refused(error, f"{path}:6: YAML alias *l4", "alias bomb")


def test_training_config_alias_bomb_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "config.yaml", "family: tfidf\ndata: d\noutput: o\n" + alias_bomb("seed"))
    with pytest.raises(InputError) as error:
        load_train_config(path)
    refused(error, f"{path}:9: YAML alias *l4", "alias bomb")


@pytest.mark.parametrize("text", ["version: &v [1, *v]\n", "version: &v {a: [*v]}\n"])
def test_an_alias_inside_its_own_value_is_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "taxonomy.yaml", text)
    with pytest.raises(InputError) as error:  # a recursive list: checks would never end
        load_taxonomy(path)
    refused(error, f"{path}:1: YAML alias *v is inside the value it names")


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "configs" / "taxonomy.yaml").read_text(encoding="utf-8"))
    first = raw["categories"][0]["techniques"][0]
    raw["categories"][0]["techniques"].append({**first, "id": "made_up", "name": "Inventée"})
    text = yaml.safe_dump(raw, allow_unicode=True)
    assert "*id001" in text  # safe_dump writes the shared lists (cues...) once, with aliases
    assert "made_up" in load_taxonomy(write(tmp_path / "taxonomy.yaml", text)).label_names
    registry = write(tmp_path / "sources.yaml", """\
version: 1
sources:
  - &agency {id: a, name: Agence A, kind: official, reliability: unknown, basis: test}
  - <<: *agency
    id: b
    name: Agence B
""")
    assert [(e.id, e.kind) for e in load_registry(registry).entries] == [("a", "official"), ("b", "official")]


def test_an_anchor_without_alias_still_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "config.yaml", "family: &f tfidf\ndata: d\noutput: o\n")
    assert load_train_config(path).family == "tfidf"


def test_gold_and_settings_refuse_aliases(tmp_path: Path) -> None:
    gold = write(tmp_path / "g01-bomb.yaml", alias_bomb("id"))
    with pytest.raises(InputError) as error:
        load_gold_article(gold, load_taxonomy())
    refused(error, f"{gold}:6: YAML alias *l4", "alias bomb")
    settings = write(tmp_path / "config.yaml", alias_bomb("url"))
    os.chmod(settings, 0o600)
    with pytest.raises(InputError) as error:
        read_config(settings)
    refused(error, f"{settings}:6: YAML alias *l4", "alias bomb")


def test_set_override_refuses_recursive_aliases_and_names_malformed_yaml() -> None:
    assert load_train_config(TFIDF, ("tfidf.word_ngrams=[&a 1, *a]",)).tfidf.word_ngrams == (1, 1)
    with pytest.raises(InputError) as error:
        load_train_config(TFIDF, ("tfidf.word_ngrams=&a [1, *a]",))
    refused(error, "--set 'tfidf.word_ngrams=&a [1, *a]':1: YAML alias *a is inside")
    with pytest.raises(InputError) as error:  # was a yaml.parser.ParserError traceback
        load_train_config(TFIDF, ("tfidf.word_ngrams=[1, 2",))
    refused(error, "--set 'tfidf.word_ngrams=[1, 2'", "malformed YAML")


# -- long values (no alias needed) are cut in every error ------------------------------

LONG_LIST = "[" + ", ".join(["1234567890"] * 20_000) + "]"


def test_long_values_are_cut_in_taxonomy_and_registry_errors(tmp_path: Path) -> None:
    taxonomy = write(tmp_path / "taxonomy.yaml", f"version: {LONG_LIST}\ncategories: []\nsources: {{}}\n")
    with pytest.raises(InputError) as error:
        load_taxonomy(taxonomy)
    refused(error, f"{taxonomy}:1:", "unsupported taxonomy version [1234567890, ", "…")
    registry = write(tmp_path / "sources.yaml", f"version: {LONG_LIST}\nsources: []\n")
    with pytest.raises(InputError) as error:
        load_registry(registry)
    refused(error, f"{registry}:1:", "unsupported registry version", "…")


@pytest.mark.parametrize("line", [f"seed: {LONG_LIST}", f"seed: {'9' * 4000}x", f"tfidf: {{word_ngrams: {LONG_LIST}}}",
                                  f"? {'k' * 50_000}\n: 1"])  # a long key is explicit ("?"): PyYAML's limit
def test_long_values_are_cut_in_training_config_errors(tmp_path: Path, line: str) -> None:
    path = write(tmp_path / "config.yaml", f"family: tfidf\ndata: d\noutput: o\n{line}\n")
    with pytest.raises(InputError) as error:
        load_train_config(path)
    refused(error, f"{path}:4:", "…")


@pytest.mark.parametrize("text, fragment", [
    ("version: 1\n? [a, b]\n: 1\n", ":2: a key must be a plain value"),  # was a TypeError traceback
    ("version: 1\nname: \x00\n", "malformed YAML (character #x0000"),  # was a yaml.reader.ReaderError traceback
    ("version: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),  # was a RecursionError traceback
])
def test_unreadable_yaml_is_one_line(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path / "taxonomy.yaml", text)
    with pytest.raises(InputError) as error:
        load_taxonomy(path)
    refused(error, str(path), fragment)


# -- the model folder: train_config.yaml and propa_model.json ---------------------------

def model_folder(tmp_path: Path) -> Path:
    """The metadata of a tfidf model folder (read_meta reads no weights: empty files do)."""
    folder = tmp_path / "model"
    folder.mkdir()
    labels = ["vague_sourcing", "Loaded_Language"]
    meta = {"format": 1, "family": "tfidf", "model_version": "model@000000000000", "labels": labels,
            "label2id": {name: i for i, name in enumerate(labels)}, "thresholds": dict.fromkeys(labels, 0.5),
            "trained_labels": labels, "data_hash": "0" * 64}
    write(folder / META_FILE, json.dumps(meta, indent=2) + "\n")
    write(folder / CONFIG_FILE, yaml.safe_dump(load_train_config(TFIDF).to_dict(), sort_keys=False))
    for name in ("tfidf.json", "tfidf.safetensors"):
        (folder / name).touch()
    return folder


def test_the_model_folder_fixture_reads(tmp_path: Path) -> None:
    meta, config = read_meta(model_folder(tmp_path))
    assert meta.thresholds == (0.5, 0.5) and config.family == "tfidf"


MALFORMED_CONFIG = "family: tfidf\ndata: d\noutput: [o\nseed: 3\n"


def test_malformed_train_config_names_file_and_line(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    write(folder / CONFIG_FILE, MALFORMED_CONFIG)
    with pytest.raises(InputError) as error:  # was a yaml.parser.ParserError traceback
        read_meta(folder)
    refused(error, f"{folder / CONFIG_FILE}:4:", "malformed YAML")


def test_train_config_bomb_in_a_model_folder(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    write(folder / CONFIG_FILE, yaml.safe_dump(load_train_config(TFIDF).to_dict(), sort_keys=False)
          .replace("seed: 13\n", "") + alias_bomb("seed", levels=7))
    with pytest.raises(InputError) as error:
        read_meta(folder)
    refused(error, f"{folder / CONFIG_FILE}:", "YAML alias *l4", "alias bomb")


def test_train_config_errors_name_the_line(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    write(folder / CONFIG_FILE, "family: tfidf\ndata: d\noutput: o\ncolour: blue\n")
    with pytest.raises(InputError) as error:
        read_meta(folder)
    refused(error, f"{folder / CONFIG_FILE}:4: unknown key 'colour'")


@pytest.mark.parametrize("threshold", ["NaN", "Infinity", "-Infinity", "-0.5", "1.5", '"0.5"', "true", "null"])
def test_thresholds_must_be_numbers_from_0_to_1(tmp_path: Path, threshold: str) -> None:
    folder = model_folder(tmp_path)
    meta = (folder / META_FILE).read_text(encoding="utf-8")
    write(folder / META_FILE, meta.replace('"Loaded_Language": 0.5', f'"Loaded_Language": {threshold}'))
    with pytest.raises(InputError) as error:  # NaN was accepted and predicted nothing, silently
        read_meta(folder)
    refused(error, str(folder / META_FILE), "threshold of label 'Loaded_Language'", "from 0 to 1")


def test_the_threshold_of_a_label_never_trained_loads(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)  # train.models.training writes 1 + 1e-6: never predicted
    meta = (folder / META_FILE).read_text(encoding="utf-8")
    write(folder / META_FILE, meta.replace('"Loaded_Language": 0.5', '"Loaded_Language": 1.000001'))
    assert read_meta(folder)[0].thresholds == (0.5, 1.000001)


def test_missing_threshold_names_the_label(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    del meta["thresholds"]["vague_sourcing"]
    write(folder / META_FILE, json.dumps(meta))
    with pytest.raises(InputError) as error:
        read_meta(folder)
    refused(error, str(folder / META_FILE), "no threshold for label 'vague_sourcing'")


def test_malformed_model_json_is_one_line(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    meta = (folder / META_FILE).read_text(encoding="utf-8")
    write(folder / META_FILE, meta[:len(meta) // 2])
    with pytest.raises(InputError) as error:
        read_meta(folder)
    refused(error, f"{folder / META_FILE}:", "malformed JSON")
    write(folder / META_FILE, json.dumps({"family": [1, 2]}))
    with pytest.raises(InputError) as error:
        read_meta(folder)
    refused(error, str(folder / META_FILE), "missing key 'labels'")


# -- from the command line: one line, exit status 1, no traceback ----------------------

def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output[:SHORT]
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and len(lines[0]) < SHORT, result.output[:SHORT]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_cli_model_folder_with_malformed_train_config(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    write(folder / CONFIG_FILE, MALFORMED_CONFIG)
    where = f"{folder / CONFIG_FILE}:4:"
    one_line_error(run("evaluate", folder, tmp_path), where, "malformed YAML")
    one_line_error(run("preannotate", SAMPLES, "-m", folder, "-o", tmp_path / "pred.jsonl"), where, "malformed YAML")
    assert not (tmp_path / "pred.jsonl").exists()


def test_cli_model_folder_with_nan_threshold(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    meta = (folder / META_FILE).read_text(encoding="utf-8")
    write(folder / META_FILE, meta.replace('"vague_sourcing": 0.5', '"vague_sourcing": NaN'))
    one_line_error(run("evaluate", folder, tmp_path), str(folder / META_FILE), "'vague_sourcing' is nan")


@pytest.mark.parametrize("command", [("taxonomy", "labels"), ("taxonomy", "config"), ("taxonomy", "guidelines")])
def test_cli_taxonomy_bomb(tmp_path: Path, command: tuple[str, ...]) -> None:
    path = write(tmp_path / "taxonomy.yaml", alias_bomb("version"))
    one_line_error(run(*command, "--taxonomy", path), f"{path}:6: YAML alias *l4", "alias bomb")
