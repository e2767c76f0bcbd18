"""The pages in a real browser: headless Chromium (Debian's package, driven by Playwright) opens an
article page and the corpus page from disk (file://): no console error and no request beyond the file,
the highlights and the legend are there, hovering or focusing a highlight shows the definition, the
legend and the corpus filters change what is shown. A screenshot of each lands in the test's folder.

Skipped, with the reason, where /usr/bin/chromium or the playwright package is missing (CI installs
both: the dev extra has playwright, `apt-get install chromium` the browser; Playwright cannot download
its own browser here)."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from annotate.report.pages import article_summary
from annotate.report.views import annotated_articles, predicted_articles
from annotate.report.write import write_report
from annotate.sources.registry import load_registry
from annotate.text.corpus import read_sentences
from tests.report.builders import GOLD, TAXONOMY, gold_rows, predictions, sentences

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
REGISTRY = load_registry(None, TAXONOMY)


def missing() -> str | None:
    """Why the browser checks cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium); the browser checks need it"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """Two reports: the test article's predictions, and the gold set's 53 articles as annotated."""
    folder = tmp_path_factory.mktemp("reports")
    write_report(predicted_articles(sentences(), predictions(), TAXONOMY, "p.jsonl", REGISTRY), TAXONOMY,
                 folder / "predicted")
    rows = {row["id"]: row for row in gold_rows()}
    write_report(annotated_articles(read_sentences(GOLD / "articles.jsonl"), rows, TAXONOMY, "pulled", REGISTRY),
                 TAXONOMY, folder / "gold")
    return {"predicted": folder / "predicted", "gold": folder / "gold"}


class Opened:
    """A page opened from disk, with what went wrong on it: console errors, uncaught exceptions, and
    any request for something outside the report's folder (the pages of the report link each other)."""

    def __init__(self, browser, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        folder = path.parent.parent.as_uri() if path.parent.name == "articles" else path.parent.as_uri()
        self.page.on("request", lambda r: None if r.url.startswith(folder + "/") else self.requests.append(r.url))
        self.page.goto(path.as_uri())

    def clean(self) -> bool:
        return not self.errors and not self.requests

    def visible_tooltip(self) -> str:
        tooltip = self.page.locator("#tooltip")
        return tooltip.inner_text() if tooltip.is_visible() else ""


@pytest.mark.slow  # about 2 s with the browser's start
def test_an_article_page_in_chromium(browser, reports, tmp_path) -> None:
    opened = Opened(browser, reports["predicted"] / "articles" / "a1.html")
    page = opened.page
    text = page.locator("main.text")
    assert page.locator(".s.t").count() == 3 and text.locator(".cue").count() == 4  # the overlap cut one in two
    assert text.locator(".src.first").count() == 2 and text.locator(".badge").all_inner_texts() == ["?", "1"]
    keys = page.locator(".legend .key")
    assert keys.count() == 5 and "Langage chargé\n2" in keys.nth(4).inner_text()
    assert page.locator("h1").inner_text().startswith("Le ministère dément <script>")  # as text, never run
    assert opened.visible_tooltip() == ""

    title = page.locator('[id="a1:0-47"]')
    title.hover()
    shown = opened.visible_tooltip()
    assert "Langage chargé" in shown and TAXONOMY.technique_by_id["Loaded_Language"].definition in shown
    assert "modèle · score 0,75" in shown
    text.locator(".src.first").nth(1).hover()
    assert "Source n° 1 : Le ministère de l'Intérieur" in opened.visible_tooltip()
    assert "Fiabilité : Inconnue" in opened.visible_tooltip()
    page.mouse.move(5, 5)
    assert opened.visible_tooltip() == ""

    page.keyboard.press("Tab")  # "← Corpus"
    page.keyboard.press("Tab")  # the title's sentence: keyboard focus shows the same tooltip as hovering
    assert page.evaluate("document.activeElement.id") == "a1:0-47"
    assert TAXONOMY.technique_by_id["Loaded_Language"].definition in opened.visible_tooltip()
    page.keyboard.press("Escape")
    assert opened.visible_tooltip() == ""

    keys.nth(4).click()  # Langage chargé: the sentences without it fade
    assert page.locator(".s.dim").count() == 3 and not title.evaluate("e => e.classList.contains('dim')")
    keys.nth(4).click()
    assert page.locator(".s.dim").count() == 0
    page.screenshot(path=str(tmp_path / "article.png"), full_page=True)
    assert (tmp_path / "article.png").stat().st_size > 10_000
    assert opened.clean(), (opened.errors, opened.requests)


@pytest.mark.slow
def test_the_corpus_page_in_chromium(browser, reports, tmp_path) -> None:
    from playwright.sync_api import expect

    opened = Opened(browser, reports["gold"] / "index.html")
    page = opened.page
    outlets = Counter(article_summary(a)["outlet"] for a in annotated_articles(
        read_sentences(GOLD / "articles.jsonl"), {r["id"]: r for r in gold_rows()}, TAXONOMY, "pulled"))
    count = page.locator("#count")
    rows = page.locator("#article-rows tr:not([hidden])")
    assert count.inner_text() == "53 articles sur 53" and rows.count() == 53
    assert page.locator("#chart-techniques svg rect").count() == 15
    assert page.locator("#chart-scores svg rect").count() == len(outlets)
    assert page.locator("#table-outlets tbody tr").count() == len(outlets)
    assert page.locator("#chart-months svg rect").count() >= 3
    assert "Allégation non étayée" in page.locator("#chart-techniques").inner_text()

    outlet, articles = outlets.most_common(1)[0]
    page.select_option("select[name=outlet]", outlet)
    assert count.inner_text() == f"{articles} articles sur 53" and rows.count() == articles
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.outlet)")) == {outlet}
    assert page.locator("#table-outlets tbody tr").count() == 1

    page.select_option("select[name=technique]", "Loaded_Language")
    kept = rows.evaluate_all("rows => rows.map(r => r.dataset.t.split(' '))")
    assert 0 < len(kept) < articles and all("Loaded_Language" in t for t in kept)
    assert page.locator("#heat tbody tr").count() == 1
    assert "« Langage chargé » par article" in page.locator("#table-outlets").inner_text()

    page.click("button[type=reset]")
    expect(count).to_have_text("53 articles sur 53")  # the form's reset event fires before the fields clear
    page.select_option("select[name=from]", "2026-03")
    months = rows.evaluate_all("rows => rows.map(r => r.dataset.month)")
    assert months and all(m >= "2026-03" for m in months) and len(months) < 53
    page.select_option("select[name=from]", "")

    page.locator("#article-rows a").first.click()  # a link to an article page, from disk too
    assert page.url.endswith(".html") and "/articles/" in page.url and page.locator(".legend").count() == 1
    page.go_back()
    page.screenshot(path=str(tmp_path / "corpus.png"), full_page=True)
    assert (tmp_path / "corpus.png").stat().st_size > 10_000
    assert opened.clean(), (opened.errors, opened.requests)


def test_the_checks_say_why_they_skip(monkeypatch) -> None:
    import tests.report.test_browser as module

    monkeypatch.setattr(module, "CHROMIUM", Path("/nonexistent/chromium"))
    assert missing() == ("no Chromium at /nonexistent/chromium (Debian: apt-get install chromium); the browser "
                         "checks need it")
    monkeypatch.setattr(module, "CHROMIUM", Path(__file__))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert missing() == "the playwright package is not installed (pip install -e '.[dev]')"
