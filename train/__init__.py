"""Datasets, models and inference (torch and transformers live only under this package)."""
