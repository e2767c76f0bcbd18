"""The pages of a report, written under its folder: ``articles/<article>.html`` each, then ``index.html``.

Each file is written atomically (:func:`annotate.files.atomic_write`): a failure never leaves a
half-written page. The index is written last, only once every article has been read and checked: an
error in the input (a prediction of a sentence INPUT lacks, an unknown technique) stops the report
before its index exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from annotate.files import atomic_write
from annotate.report.pages import report_pages
from annotate.report.views import ArticleView
from annotate.taxonomy import Taxonomy


@dataclass(frozen=True)
class ReportSummary:
    out: Path
    articles: int
    sentences: int
    with_techniques: int  # sentences with at least one technique
    without_record: int  # sentences no prediction or annotation covers

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def write_report(articles: Iterable[ArticleView], taxonomy: Taxonomy, out: Path,
                 progress: Callable[[int], None] | None = None) -> ReportSummary:
    """Write the page of every article, then the corpus index, under ``out``."""
    out = Path(out)
    counts = {"articles": 0, "sentences": 0, "with_techniques": 0, "without_record": 0}

    def counted(stream: Iterable[ArticleView]) -> Iterable[ArticleView]:
        for article in stream:
            counts["articles"] += 1
            counts["sentences"] += len(article.sentences)
            counts["with_techniques"] += sum(1 for s in article.sentences if s.techniques)
            counts["without_record"] += sum(1 for s in article.sentences if not s.seen)
            yield article

    for path, html in report_pages(counted(articles), taxonomy):
        with atomic_write(out / path) as handle:
            handle.write(html)
        if progress is not None and path != "index.html":
            progress(1)
    return ReportSummary(out, **counts)
