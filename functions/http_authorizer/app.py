"""HTTP API authorizer: a Cognito access token or a tenant API key, before any tenant route."""

from parley.handlers.http_authorizer import authorize
from parley.observability import lambda_entry

handler = lambda_entry(authorize, correlation_id_path="requestContext.requestId")
