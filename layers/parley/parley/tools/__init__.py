"""Operators' command-line tools: run against a deployment's table, never exposed to tenants."""
