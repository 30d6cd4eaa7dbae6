"""The gateway serves what the template declares, and authorizes as API Gateway's JWT authorizer does."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.testclient import TestClient

from local.gateway import JwtAuthorizer
from local.stack import LocalStack

ECHO_HANDLER = """
import json

def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"route": event["routeKey"], "params": event.get("pathParameters"),
                            "query": event.get("queryStringParameters"), "function": context.function_name}),
    }
"""


def _template(routes: str) -> str:
    return textwrap.dedent(
        """
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Api:
            Type: AWS::Serverless::HttpApi
          EchoFunction:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: echo/
              Handler: app.handler
              Runtime: python3.12
              Events:
        """
    ) + textwrap.indent(textwrap.dedent(routes), " " * 8)


@pytest.fixture
def restore_environ():
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "echo").mkdir()
    (tmp_path / "echo" / "app.py").write_text(ECHO_HANDLER)
    return tmp_path


def _serve(root: Path):
    stack = LocalStack(root)
    return stack, TestClient(stack.start())


def test_route_added_to_the_template_is_served(project, restore_environ):
    # Given a template with one route
    route = """
    Words:
      Type: HttpApi
      Properties:
        ApiId: !Ref Api
        Path: /words/{word}
        Method: GET
    """
    (project / "template.yaml").write_text(_template(route))
    stack, client = _serve(project)
    try:
        assert client.get("/letters/a").status_code == 404
    finally:
        stack.stop()

    # When a route is added to the template alone
    added = (
        route
        + """
    Letters:
      Type: HttpApi
      Properties:
        ApiId: !Ref Api
        Path: /letters/{letter}
        Method: GET
    """
    )
    (project / "template.yaml").write_text(_template(added))
    stack, client = _serve(project)
    try:
        response = client.get("/letters/b?x=1&x=2")
    finally:
        stack.stop()

    # Then the gateway serves it with the event API Gateway would send
    assert response.status_code == 200
    assert response.json() == {
        "route": "GET /letters/{letter}",
        "params": {"letter": "b"},
        "query": {"x": "1,2"},
        "function": "EchoFunction",
    }


class _StaticKeys(jwt.PyJWKClient):
    def __init__(self, jwks: dict) -> None:
        super().__init__("http://keys.invalid")
        self._jwks = jwks

    def fetch_data(self) -> dict:
        return self._jwks


@pytest.fixture
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def authorizer(signing_key) -> JwtAuthorizer:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    authorizer = JwtAuthorizer("https://issuer.test/pool", ["client-1"], "http://keys.invalid")
    authorizer._keys = _StaticKeys({"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]})
    return authorizer


def _token(key, **overrides) -> str:
    claims = {"iss": "https://issuer.test/pool", "sub": "u1", "client_id": "client-1", "exp": time.time() + 60}
    return jwt.encode({**claims, **overrides}, key, algorithm="RS256", headers={"kid": "k1"})


def test_valid_access_token_is_accepted(authorizer, signing_key):
    claims = authorizer.claims("Bearer " + _token(signing_key))

    assert claims is not None
    assert claims["sub"] == "u1"


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": time.time() - 10},
        {"iss": "https://someone-else.test/pool"},
        {"client_id": "another-client"},
    ],
)
def test_expired_foreign_or_misaddressed_tokens_are_refused(authorizer, signing_key, overrides):
    assert authorizer.claims("Bearer " + _token(signing_key, **overrides)) is None


def test_token_signed_by_another_key_is_refused(authorizer):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    assert authorizer.claims("Bearer " + _token(other)) is None


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer not-a-jwt"])
def test_missing_or_malformed_tokens_are_refused(authorizer, header):
    assert authorizer.claims(header) is None
