"""View records -> HTML: spans cut at overlaps, every text escaped, colours and names from the taxonomy,
French reasons for the sourcing score, and pages that load nothing from anywhere."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser

import pytest
import yaml

from annotate.errors import InputError
from annotate.report.pages import (article_page, article_summary, corpus_page, json_for_script, reasons_fr,
                                   segments)
from annotate.report.views import predicted_articles
from annotate.sources.profile import PENALTIES
from annotate.studio.predictions import build_prediction
from annotate.taxonomy import label_config, load_taxonomy, technique_colours
from tests.conftest import ROOT
from tests.report.builders import HOSTILE, TAXONOMY, sentences
from tests.report.test_views import one_article


class Texts(HTMLParser):
    """The text of a page, each piece with the classes of the elements it is inside; and every tag."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.pieces: list[tuple[str, tuple[str, ...]]] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in ("meta", "br", "input"):
            self.stack.append((tag, attrs.get("class") or ""))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        self.pieces.append((data, tuple(c for _, c in self.stack if c)))


def parsed(html: str) -> Texts:
    texts = Texts()
    texts.feed(html)
    return texts


def test_segments_cut_at_every_boundary() -> None:
    assert segments(20, [(0, 10), (5, 15)]) == [(0, 5, (0,)), (5, 10, (0, 1)), (10, 15, (1,)), (15, 20, ())]
    assert segments(6, []) == [(0, 6, ())]
    assert segments(6, [(2, 4), (2, 4)]) == [(0, 2, ()), (2, 4, (0, 1)), (4, 6, ())]


def test_a_cue_overlapping_a_source_is_split_at_both_boundaries() -> None:
    page = parsed(article_page(one_article(), TAXONOMY))
    start = next(i for i, (text, _) in enumerate(page.pieces) if text == "Selon ")
    pieces = page.pieces[start:start + 5]
    assert [text for text, _ in pieces] == ["Selon ", "des sources", " proches du dossier", "?",
                                            ", le ministère a détourné des millions."]
    classes = [classes[-3:] for _, classes in pieces]
    assert classes[0][-2:] == ("s t", "cue")
    assert classes[1] == ("s t", "src first", "cue")  # the overlap: inside the source and the cue
    assert classes[2][-2:] == ("s t", "src last")
    assert classes[4][-1] == "s t"


def test_sentences_with_several_techniques_stack_one_bar_each() -> None:
    html = article_page(one_article(), TAXONOMY)
    colours = technique_colours(TAXONOMY)
    last = re.search(r'<span class="s t" id="a1:208-256" data-t="([^"]+)" style="([^"]+)"', html)
    assert last.group(1).split() == ["speculative_link", "Name_Calling-Labeling", "Loaded_Language"]
    for technique in last.group(1).split():
        assert f"linear-gradient({colours[technique]},{colours[technique]})" in last.group(2)
    assert "padding-bottom:9px" in last.group(2)


def test_text_is_escaped_a_script_in_an_article_shows_as_text() -> None:
    article = one_article()
    html = article_page(article, TAXONOMY)
    assert HOSTILE not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert html.count("<script") == 1  # the page's own script only
    page = parsed(html)
    assert any(HOSTILE in text for text, _ in page.pieces)  # what a reader sees
    index = corpus_page([article_summary(article)], TAXONOMY)
    assert HOSTILE not in index and index.count("<script") == 2  # its data and its script
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', index, re.S).group(1)
    assert json.loads(data)["articles"][0]["title"] == article.title
    assert "</" not in json_for_script({"x": "</script><!--"})


def test_pages_load_nothing_from_anywhere() -> None:
    article = one_article()
    for html in (article_page(article, TAXONOMY), corpus_page([article_summary(article)], TAXONOMY)):
        tags = parsed(html).tags
        assert not [t for t, a in tags if t in ("link", "img", "iframe", "object", "embed")]
        assert not [a for t, a in tags if "src" in a]
        csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
        assert "default-src 'none'" in csp
        assert [a["href"] for t, a in tags if t == "a" and a.get("href", "").startswith("http")] in (
            [], ["https://example.org/a1"])  # the original article, a link the reader may follow


def test_colours_names_and_definitions_come_from_the_taxonomy() -> None:
    colours = technique_colours(TAXONOMY)
    assert set(colours) == set(TAXONOMY.label_names) and len(set(colours.values())) == len(colours)
    config = label_config(TAXONOMY)
    for technique in TAXONOMY.techniques:  # Label Studio shows the same colour as the reports
        assert f'alias="{technique.id}" background="{colours[technique.id]}"' in config
    html = article_page(one_article(), TAXONOMY)
    legend = html[html.index('<section class="legend">'):html.index("</section>")]
    found = re.findall(r'data-t="([^"]+)"[^>]*style="--c:(#[0-9a-f]{6})"><span class="sw"></span><span>([^<]+)</span>'
                       r'<span class="n" title="phrases">(\d+)</span>', legend)
    assert [(t, c, n) for t, c, _, n in found] == [
        ("unsupported_allegation", colours["unsupported_allegation"], "1"),
        ("speculative_link", colours["speculative_link"], "1"), ("vague_sourcing", colours["vague_sourcing"], "1"),
        ("Name_Calling-Labeling", colours["Name_Calling-Labeling"], "1"),
        ("Loaded_Language", colours["Loaded_Language"], "2")]
    assert [name for _, _, name, _ in found][0] == "Allégation non étayée"
    assert TAXONOMY.technique_by_id["Loaded_Language"].definition.replace("'", "&#x27;") in html


def test_a_technique_added_to_the_taxonomy_shows_in_the_reports(tmp_path) -> None:
    data = yaml.safe_load((ROOT / "configs" / "taxonomy.yaml").read_text(encoding="utf-8"))
    data["categories"][-1]["techniques"].append({
        "id": "Test_Echo", "name": "Écho d'essai", "definition": "Une technique ajoutée pour le test.",
        "distinguish": "Rien d'autre.", "cues": ["« écho »"], "counter_examples": ["aucun"]})
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    grown = load_taxonomy(path)
    thresholds = {name: 0.5 for name in grown.label_names}
    preds = {s.id: build_prediction(s.id, {"Test_Echo": 0.9 if s.paragraph_index == 2 else 0.1}, thresholds, [],
                                    grown, "m@1") for s in sentences()}
    article = next(predicted_articles(sentences(), preds, grown, "p.jsonl"))
    assert article.technique_counts() == {"Test_Echo": 1}
    colour = technique_colours(grown)["Test_Echo"]
    html = article_page(article, grown)
    assert "Écho d&#x27;essai" in html and "Une technique ajoutée pour le test." in html
    assert f"linear-gradient({colour},{colour})" in html
    index = corpus_page([article_summary(article)], grown)
    assert '<option value="Test_Echo">Écho d&#x27;essai (1)</option>' in index
    with pytest.raises(InputError, match="technique 'Test_Echo' is not in"):
        list(predicted_articles(sentences(), preds, TAXONOMY, "p.jsonl"))


def test_every_point_lost_is_worded_in_french() -> None:
    losses = [{"penalty": "anonymous", "points": 13, "count": 3, "total": 7},
              {"penalty": "state_media", "points": 9, "count": 2, "total": 7},
              {"penalty": "official_line", "points": 5, "names": ["le ministère", "ATK"], "count": 3, "total": 7},
              {"penalty": "one_sided", "points": 6, "voices": 2.7, "loudest": "", "line": True, "carried": 0.43},
              {"penalty": "low_reliability", "points": 2, "count": 1, "total": 7},
              {"penalty": "vague_source_line", "points": 8, "text": "Divers"},
              {"penalty": "unattributed", "points": 9, "count": 10, "total": 17}]
    assert {loss["penalty"] for loss in losses} == set(PENALTIES)  # a new penalty needs its French words here
    worded = reasons_fr({"losses": losses, "reasons": ["x"] * len(losses), "self_citations": 1})
    assert worded == [
        "3 attributions sur 7 anonymes ou vagues (-13)", "2 attributions sur 7 à des médias d'État ou affiliés (-9)",
        "la ligne des autorités (le ministère ; ATK), relayée par leurs propres médias : 3 attributions sur 7, une "
        "seule voix (-5)", "2,7 voix : la ligne des autorités porte 43\u202f% des attributions (-6)",
        "1 attribution à des sources que le registre juge peu fiables (-2)",
        "une ligne de source vague (« Divers ») (-8)",
        "10 phrases sur 17 n'attribuent rien (-9)",
        "1 attribution au média lui-même (aucun point perdu : signalé au lecteur)"]
    assert reasons_fr({"losses": [{"penalty": "no_source", "points": 65}], "reasons": ["x"]}) == [
        "ne cite aucune source (-65)"]
    assert reasons_fr({"losses": [{"penalty": "new_one", "points": 1}], "reasons": ["in English (-1)"]}) == [
        "in English (-1)"]
    profile = one_article().profile
    assert len(reasons_fr(profile)) == len(profile["reasons"])


def test_the_corpus_page_lists_every_article_with_the_data_its_filters_use() -> None:
    article = one_article()
    summary = article_summary(article)
    assert summary == {**summary, "page": "articles/a1.html", "outlet": "Agence X", "month": "2026-02", "sentences": 5,
                       "flagged": 3, "techniques": dict(article.technique_counts())}
    other = article_summary(dataclasses.replace(article, id="b", title="B", outlet="Le Courrier  de l\u2019Aube",
                                                date="", page=""))
    assert (other["page"], other["outlet"], other["month"]) == ("articles/b.html", "Le Courrier de l'Aube", "")
    html = corpus_page([summary, other], TAXONOMY)
    rows = re.findall(r'<tr data-outlet="([^"]*)" data-month="([^"]*)" data-t="([^"]*)"><td><a href="([^"]+)">', html)
    assert rows == [("Agence X", "2026-02", " ".join(summary["techniques"]), "articles/a1.html"),
                    ("Le Courrier de l&#x27;Aube", "", " ".join(summary["techniques"]), "articles/b.html")]
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', html, re.S).group(1))
    assert [t["id"] for t in data["techniques"]] == TAXONOMY.label_names
    assert [b["id"] for b in data["bands"]] == ["solid", "mixed", "weak"]
    assert '<option value="2026-02">février 2026</option>' in html
    assert "2 articles, 2 médias, 10 phrases dont" in html
    assert "1 article, 1 média, 5 phrases dont" in corpus_page([summary], TAXONOMY)  # French: 1 takes the singular
