"""Annotations -> one answer per sentence: agreement between annotators, adjudication, the gold
set, and what the pre-annotations were worth (uptake)."""
