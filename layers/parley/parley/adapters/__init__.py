"""Implementations of the ports in `parley.ports` for AWS and for the embedded default."""
