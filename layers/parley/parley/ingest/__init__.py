"""Turning an uploaded file into indexed chunks: extraction, chunking, and the indexer that drives them."""
