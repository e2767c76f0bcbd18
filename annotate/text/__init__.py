"""Articles -> sentences: reading articles (JSONL, text files), splitting them into sentences,
and the sentence corpus that every later step reads."""
