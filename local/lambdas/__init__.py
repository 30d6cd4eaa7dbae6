"""The Lambda runtime: each function of template.yaml in execution environments of its own (worker processes),
and the event sources that invoke them (SQS event source mappings, schedules)."""
