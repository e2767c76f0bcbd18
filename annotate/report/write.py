"""The pages of a report, written under its folder: ``articles/<article>.html`` each, then ``index.html``.

The pages are written into a staging folder inside the report's (``.staging-report``) and moved into
place only once every article has been read and checked, the index last: an error in the input (a
prediction of a sentence INPUT lacks, an unknown technique) leaves the folder as it was, with no
page of the failed run in it. A staging folder a killed run left is removed by the next one.
"""

from __future__ import annotations

import os
import shutil
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

    staging = out / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    written: list[str] = []
    try:
        for path, html in report_pages(counted(articles), taxonomy):
            with atomic_write(staging / path) as handle:
                handle.write(html)
            written.append(path)
            if progress is not None and path != "index.html":
                progress(1)
        for path in sorted(written, key=lambda p: p == "index.html"):  # the index last
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / path, out / path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ReportSummary(out, **counts)


STAGING = ".staging-report"
