"""CloudWatch as the local stack keeps it: the metrics it can honestly measure, metric math, the template's alarms
evaluated as CloudWatch evaluates them, and its dashboards rendered as the operator page (`/_ops`)."""
