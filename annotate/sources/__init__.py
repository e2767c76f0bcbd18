"""Who each sentence cites and how far to trust them: the source registry, the attribution
rules, the kind of an unknown source, and the profile of an article's sourcing."""
