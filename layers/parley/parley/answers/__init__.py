"""Turning retrieved passages into an answer: prompts, citations, and the extractive fallback."""
