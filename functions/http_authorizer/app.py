"""HTTP API authorizer: a Cognito access token or a tenant API key, before any tenant route."""

from parley.handlers.http_authorizer import authorize
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(
    authorize,
    needs=[Resource.TABLE, Resource.USER_POOL, Resource.USER_POOL_CLIENT],
    correlation_id_path="requestContext.requestId",
)
