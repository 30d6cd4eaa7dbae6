"""The offline stand-in for AWS: moto for the services, a gateway for API Gateway, all derived from template.yaml."""
