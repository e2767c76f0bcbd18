"""Corpus side of propa: articles, sentences, the taxonomy and the Label Studio boundary.

Nothing heavy is imported here, so `propa --help` stays instant.
"""

__version__ = "0.1.0"
