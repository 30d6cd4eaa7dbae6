"""API Gateway as it serves Parley: the HTTP API (routes, Lambda authorizers, payload 2.0 events, the API docs) and
the WebSocket API ($connect, route selection, the management API)."""
