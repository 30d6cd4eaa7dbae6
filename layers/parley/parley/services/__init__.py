"""Use cases: each service takes its ports in the constructor and knows nothing of HTTP or AWS."""
