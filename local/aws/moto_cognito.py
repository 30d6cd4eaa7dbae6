"""moto's Cognito made to end a deleted user's sessions, as Cognito does.

Cognito revokes a user's refresh tokens when the user is deleted: a refresh with one of them is refused with
`NotAuthorizedException`. moto deletes the user but keeps the refresh tokens, and the next refresh fails inside moto
(it looks the user up to build the new access token and finds none): an internal error, which AWS never returns.
Here a deleted user's tokens are revoked first, as moto's global sign-out revokes them, so the refresh is refused
as in AWS.
"""

from __future__ import annotations

from moto.cognitoidp.models import CognitoIdpBackend

_admin_delete_user = CognitoIdpBackend.admin_delete_user


def admin_delete_user(self: CognitoIdpBackend, user_pool_id: str, username: str) -> None:
    pool = self.describe_user_pool(user_pool_id)
    user = self.admin_get_user(user_pool_id, username)  # UserNotFoundException as before
    # moto keeps each token with the name it was signed in by (the e-mail, in a pool that signs in by e-mail).
    for token, session in list(pool.refresh_tokens.items()):
        if session is not None and pool._get_user(session[1]) is user:
            pool.refresh_tokens[token] = None  # revoked, as moto's global sign-out marks it
    for token, (_, name) in list(pool.access_tokens.items()):
        if pool._get_user(name) is user:
            del pool.access_tokens[token]
    _admin_delete_user(self, user_pool_id, username)


def install() -> None:
    """Replace moto's implementation (idempotent; affects every moto backend in this process)."""
    CognitoIdpBackend.admin_delete_user = admin_delete_user  # type: ignore[method-assign]
