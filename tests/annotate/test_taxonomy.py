import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from annotate.errors import InputError
from annotate.taxonomy import (CUE_LABELS, SOURCE_KIND, SOURCE_LABELS, SOURCE_RELIABILITY, guidelines_html,
                               guidelines_markdown, label_config, load_taxonomy)
from tests.conftest import SHARED_SEMEVAL

SEMEVAL_2023 = {
    "Appeal_to_Authority", "Appeal_to_Popularity", "Appeal_to_Values", "Appeal_to_Fear-Prejudice", "Flag_Waving",
    "Causal_Oversimplification", "False_Dilemma-No_Choice", "Consequential_Oversimplification", "Straw_Man",
    "Red_Herring", "Whataboutism", "Slogans", "Appeal_to_Time", "Conversation_Killer", "Loaded_Language",
    "Repetition", "Exaggeration-Minimisation", "Obfuscation-Vagueness-Confusion", "Name_Calling-Labeling", "Doubt",
    "Guilt_by_Association", "Appeal_to_Hypocrisy", "Questioning_the_Reputation",
}


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def test_shipped_taxonomy(taxonomy):
    names = taxonomy.label_names
    assert names[:3] == ["unsupported_allegation", "speculative_link", "vague_sourcing"]
    assert set(names[3:]) == SEMEVAL_2023 and len(names) == 26
    assert len(taxonomy.categories) == 7
    assert {k.id for k in taxonomy.sources.kinds} == {
        "official", "state_media", "independent_media", "expert_ngo", "anonymous_vague", "social_media", "other"}
    assert [r.id for r in taxonomy.sources.reliability] == ["reliable", "mixed", "low", "unknown"]
    for t in taxonomy.techniques:
        assert t.definition and t.cues and t.counter_examples and t.name != t.id


@pytest.mark.skipif(not SHARED_SEMEVAL.exists(), reason="shared SemEval folder absent")
def test_semeval_names_match_the_shared_data(taxonomy):
    shared = set((SHARED_SEMEVAL / "techniques.txt").read_text(encoding="utf-8").split())
    assert shared == set(taxonomy.label_names[3:])


def test_label_config_is_generated_from_the_taxonomy(taxonomy):
    root = ET.fromstring(label_config(taxonomy))
    controls = {el.get("name"): el for el in root.iter() if el.tag in ("Choices", "Labels")}
    choice_ids = [c.get("alias") for c in root.iter("Choices") if c.get("name").startswith("technique_")
                  for c in c.iter("Choice")]
    assert choice_ids == taxonomy.label_names
    assert [lab.get("alias") for lab in controls[CUE_LABELS].iter("Label")] == taxonomy.label_names
    assert [lab.get("alias") for lab in controls[SOURCE_LABELS].iter("Label")] == ["source"]
    assert {c.get("alias") for c in controls[SOURCE_KIND].iter("Choice")} == taxonomy.kind_ids
    assert {c.get("alias") for c in controls[SOURCE_RELIABILITY].iter("Choice")} == taxonomy.reliability_ids
    for name in (SOURCE_KIND, SOURCE_RELIABILITY):
        assert controls[name].get("perRegion") == "true"
    # the per-region choices show when a Source region is selected: matched on the stored alias
    region_view = next(v for v in root.iter("View") if v.get("visibleWhen") == "region-selected")
    assert region_view.get("whenLabelValue") == "source"
    assert {c.get("name") for c in region_view.iter("Choices")} == {SOURCE_KIND, SOURCE_RELIABILITY}
    for category in taxonomy.categories:
        assert controls[category.control].get("choice") == "multiple"
    # French names shown, with the definition as a hint
    speculative = next(c for c in root.iter("Choice") if c.get("alias") == "speculative_link")
    assert speculative.get("value") == taxonomy.technique_by_id["speculative_link"].name
    assert speculative.get("hint") == taxonomy.technique_by_id["speculative_link"].definition


def test_guidelines_cover_every_technique(taxonomy):
    import html as html_module

    markdown, html = guidelines_markdown(taxonomy), guidelines_html(taxonomy)
    for t in taxonomy.techniques:
        assert f"`{t.id}`" in markdown and t.cues[0] in markdown
        assert f"<code>{t.id}</code>" in html
        # Borderline cases: every technique has decision rules, in both formats.
        assert 2 <= len(t.decision_rules) <= 4, t.id
        assert all(f"- {rule}" in markdown for rule in t.decision_rules)
        assert all(html_module.escape(rule) in html for rule in t.decision_rules)
    assert markdown.count("**Cas limites : règles de décision**") == len(taxonomy.techniques)
    assert "<script" not in html


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """\
version: 1
categories:
  - id: sourcing
    name: Sourçage
    description: d
    techniques:
      - id: vague_sourcing
        name: Source vague
        definition: d
        distinguish: d
        cues: [a]
        counter_examples: [b]
sources:
  label: {id: source, name: Source}
  description: d
  kinds: [{id: official, name: Officielle, definition: d}]
  reliability: [{id: reliable, name: Fiable, definition: d}]
"""


def test_minimal_taxonomy_loads(tmp_path):
    assert load_taxonomy(_write(tmp_path, MINIMAL)).label_names == ["vague_sourcing"]


@pytest.mark.parametrize("change, message", [
    (("        cues: [a]", "        cue: [a]"), r"taxonomy\.yaml:\d+: unknown key 'cue'"),
    (("version: 1", "version: 2"), r"taxonomy\.yaml:1: unsupported taxonomy version"),
    (("      - id: vague_sourcing", "      - id: vague sourcing"), "must be letters"),
    (("        definition: d\n", ""), "missing key 'definition'"),
    (("        cues: [a]", "        cues: []"), "'cues' must be a non-empty list"),
    (("name: Source vague", "name: Sourçage"), None),
])
def test_bad_taxonomy_names_the_line(tmp_path, change, message):
    text = MINIMAL.replace(*change)
    if message is None:  # a technique may share its name with a category: both load
        assert load_taxonomy(_write(tmp_path, text))
        return
    with pytest.raises(InputError, match=message):
        load_taxonomy(_write(tmp_path, text))


def test_duplicate_technique_ids_are_refused(tmp_path):
    block = MINIMAL[MINIMAL.index("      - id: vague_sourcing"):MINIMAL.index("sources:")]
    text = MINIMAL.replace(block, block + block.replace("Source vague", "Autre nom"))
    with pytest.raises(InputError, match="duplicate technique id 'vague_sourcing'"):
        load_taxonomy(_write(tmp_path, text))


def test_guidelines_open_with_what_annotators_do_not_guess(taxonomy):
    markdown, html = guidelines_markdown(taxonomy), guidelines_html(taxonomy)
    first_technique = markdown.index(f"`{taxonomy.techniques[0].id}`")
    for needle in ("cliquez sur la source surlignée", "probabilité, selon le modèle, que toute sa", "Corrigez-la"):
        assert markdown.index(needle) < first_technique
        assert needle in html.replace("&#x27;", "'")
    assert html.index("À savoir avant de commencer") < html.index("<h2>")
