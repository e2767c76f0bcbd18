"""Datasets for training: importers (SemEval-2023 Task 3) and the train/dev/test split."""
