"""Datasets -> models: training configs, the model folder, the TF-IDF, transformer, encoder and
ensemble models, ONNX export, metrics and evaluation."""
