"""Reports an analyst opens: one static HTML page per article and an index page for the corpus.

The data flow, one way, each step a plain function:

- ``views``: a sentence corpus plus stored predictions (`propa preannotate`), a model's predictions
  made on the fly, or a pull of annotations (`propa pull`) -> one :class:`views.ArticleView` per
  article: its sentences with their techniques (origin, score), cue spans and source mentions
  (kind, reliability), the sourcing profile (:mod:`annotate.sources.profile`) and the provenance
  (model_version, or the annotators);
- ``pages``: views -> HTML strings, with no I/O: every text escaped, styles, scripts and data
  inline (no network: the pages open from a file), colours and French names from the taxonomy;
- ``write``: the pages written under the output folder, each atomically, the index last.
"""
