"""The model side of propa: datasets (data/), models (models/), and the pre-annotation that joins a
model, the cue rules and the attribution rules (preannotate.py). torch and transformers live only
under this package. It uses annotate/, never the reverse."""
