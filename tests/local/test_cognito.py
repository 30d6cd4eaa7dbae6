"""The local Cognito refuses a deleted user's refresh token as Cognito does (moto failed with an internal error)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.aws import moto_cognito

PASSWORD = "Correct-horse-1"


def test_a_deleted_users_refresh_token_is_not_authorized(aws: Any) -> None:
    moto_cognito.install()
    cognito = boto3.client("cognito-idp")
    # (signing in by e-mail, as the template's pool does: moto keeps tokens by that name, not the user's own)
    pool = cognito.create_user_pool(PoolName="users", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    # Given a user signed in, and another signed in too
    tokens = {}
    for email in ("dan@example.com", "eve@example.com"):
        cognito.sign_up(ClientId=client, Username=email, Password=PASSWORD)
        cognito.admin_confirm_sign_up(UserPoolId=pool, Username=email)
        tokens[email] = cognito.initiate_auth(
            ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD}
        )["AuthenticationResult"]["RefreshToken"]

    # When the first is deleted
    cognito.admin_delete_user(UserPoolId=pool, Username="dan@example.com")

    # Then a refresh with his token is refused as Cognito refuses it, and the other user's still works
    with pytest.raises(ClientError) as refused:
        cognito.initiate_auth(
            ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": tokens["dan@example.com"]}
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert cognito.initiate_auth(
        ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": tokens["eve@example.com"]}
    )["AuthenticationResult"]["AccessToken"]
    # And deleting a user who does not exist is refused as before
    with pytest.raises(ClientError) as missing:
        cognito.admin_delete_user(UserPoolId=pool, Username="dan@example.com")
    assert missing.value.response["Error"]["Code"] == "UserNotFoundException"
