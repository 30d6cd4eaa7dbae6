"""The steps of reading an uploaded file: extraction (with its reading budget), cleaning and chunking; the indexer
that drives them is a service (parley.services.indexer)."""
