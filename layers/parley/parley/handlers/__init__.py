"""Lambda entry glue for the functions that are not HTTP APIs: the authorizers, the WebSocket routes, the SQS
consumers, the schedules and the custom resource. Each turns its event into typed input and calls one service."""
