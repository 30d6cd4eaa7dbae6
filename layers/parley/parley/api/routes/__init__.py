"""One router per resource; a function's app includes the routers template.yaml sends it."""
