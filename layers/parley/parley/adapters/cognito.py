"""Cognito user pool as Parley's identity provider (password sign-in, refresh tokens, sign-out)."""

from __future__ import annotations

import base64
import json
from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from parley.domain.accounts import SignIn, Tokens
from parley.errors import (
    EmailNotConfirmed,
    EmailTaken,
    InvalidCredentials,
    InvalidInput,
    RateLimited,
    Unauthorized,
    UpstreamUnavailable,
    WeakPassword,
)

if TYPE_CHECKING:
    from jwt import PyJWKClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


def _claims(jwt: str) -> dict[str, Any]:
    """Read the payload of a token Cognito has just handed us; it came over TLS from the issuer itself."""
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


_THROTTLED = {"TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"}


class CognitoIdentityProvider:
    def __init__(self, user_pool_id: str, client_id: str, *, issuer: str, keys_url: str) -> None:
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.issuer = issuer
        self.keys_url = keys_url

    @cached_property
    def signing_keys(self) -> PyJWKClient:
        import jwt

        # The pool's public keys, fetched once per container (and again only for a key id not seen yet).
        return jwt.PyJWKClient(self.keys_url, cache_keys=True, timeout=3)

    @cached_property
    def client(self) -> CognitoIdentityProviderClient:
        import boto3

        return boto3.client("cognito-idp")

    def sign_up(self, email: str, password: str, name: str) -> str:
        try:
            created = self.client.sign_up(
                ClientId=self.client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": name}],
            )
        except ClientError as error:
            code = _error_code(error)
            if code in ("UsernameExistsException", "AliasExistsException"):
                raise EmailTaken("An account with this e-mail address already exists") from error
            if code == "InvalidPasswordException":
                raise WeakPassword(error.response["Error"].get("Message", "Password is too weak")) from error
            if code == "InvalidParameterException":
                raise InvalidInput(error.response["Error"].get("Message", "Invalid sign-up details")) from error
            raise _translated(error) from error
        return created["UserSub"]

    def confirm(self, email: str) -> None:
        self.client.admin_confirm_sign_up(UserPoolId=self.user_pool_id, Username=email)

    def delete(self, email: str) -> None:
        try:
            self.client.admin_delete_user(UserPoolId=self.user_pool_id, Username=email)
        except ClientError as error:
            if _error_code(error) != "UserNotFoundException":
                raise

    def sign_in(self, email: str, password: str) -> SignIn:
        try:
            result = self.client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )["AuthenticationResult"]
        except ClientError as error:
            code = _error_code(error)
            if code in ("NotAuthorizedException", "UserNotFoundException"):
                raise InvalidCredentials("E-mail or password is incorrect") from error
            if code == "UserNotConfirmedException":
                raise EmailNotConfirmed("Confirm your e-mail address before signing in") from error
            raise _translated(error) from error
        tokens = Tokens(
            access_token=result["AccessToken"],
            refresh_token=result["RefreshToken"],
            expires_in=result["ExpiresIn"],
        )
        return SignIn(user_id=_claims(tokens.access_token)["sub"], tokens=tokens)

    def refresh(self, refresh_token: str) -> Tokens:
        try:
            result = self.client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )["AuthenticationResult"]
        except ClientError as error:
            if _error_code(error) in ("NotAuthorizedException", "UserNotFoundException"):
                raise Unauthorized("The refresh token is invalid, expired or revoked") from error
            raise _translated(error) from error
        # Cognito keeps the refresh token unless rotation is on; hand back whichever is current.
        return Tokens(
            access_token=result["AccessToken"],
            refresh_token=result.get("RefreshToken", refresh_token),
            expires_in=result["ExpiresIn"],
        )

    def sign_out(self, access_token: str) -> None:
        # GlobalSignOut revokes every refresh token of the user; RevokeToken (one session) is the finer tool,
        # but the local stack's Cognito does not implement it, and sign-out must behave the same in both.
        try:
            self.client.global_sign_out(AccessToken=access_token)
        except ClientError as error:
            if _error_code(error) == "NotAuthorizedException":
                raise Unauthorized("The access token is invalid or already signed out") from error
            raise _translated(error) from error

    def verified_claims(self, access_token: str) -> dict[str, Any]:
        # Checked here, as API Gateway's JWT authorizer checks the HTTP API's, with no call to Cognito: a flood of
        # forged tokens costs no Cognito quota, and sign-out is enforced by the caller's signed-out-at check.
        import jwt

        try:
            key = self.signing_keys.get_signing_key_from_jwt(access_token)
            claims: dict[str, Any] = jwt.decode(
                access_token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.PyJWKClientConnectionError as error:
            raise UpstreamUnavailable("The sign-in service's keys are unavailable") from error
        except jwt.PyJWTError as error:
            raise Unauthorized("The access token is invalid or expired") from error
        if claims["token_use"] != "access" or claims.get("client_id") != self.client_id:
            raise Unauthorized("Only access tokens of this app are accepted")
        return claims


def _translated(error: ClientError) -> Exception:
    if _error_code(error) in _THROTTLED:
        return RateLimited("Too many attempts; try again later")
    return error
