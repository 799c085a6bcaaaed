"""auth-error for Python: the crate's AuthErrorCode carried as a
``google.rpc.ErrorInfo`` detail on grpcio statuses (and as the AIP-193 HTTP
body), with the same code table and the same credential rules, generated from
the crate's own files.

    from auth_error import AuthError, AuthErrorCode, ClientAction, DOMAIN

    # server
    context.abort_with_status(AuthError(AuthErrorCode.TOKEN_EXPIRED, metadata={"tenantId": "acme"}).to_status())
    # client
    err = AuthError.from_rpc_error(rpc_error)   # AuthError | None
    if err is not None and err.client_action is ClientAction.REFRESH_CREDENTIALS: ...
"""

from ._error import AuthError, ExtractError, HelpLink, LocalizedMessage
from ._generated import DOMAIN, VERSION, AuthErrorCode, ClientAction
from ._http import JsonError
from ._rules import MAX_DETAILS_LEN, MAX_DOMAIN_LEN, MAX_METADATA_KEY_LEN, AttachError
from ._server import AsyncAuthErrorInterceptor, AuthErrorInterceptor, abort_on_auth_error
from ._credentials import is_secret_key, looks_like_credential

__version__ = VERSION

__all__ = [
    "DOMAIN",
    "MAX_DETAILS_LEN",
    "MAX_DOMAIN_LEN",
    "MAX_METADATA_KEY_LEN",
    "VERSION",
    "AsyncAuthErrorInterceptor",
    "AttachError",
    "AuthError",
    "AuthErrorCode",
    "AuthErrorInterceptor",
    "ClientAction",
    "ExtractError",
    "HelpLink",
    "JsonError",
    "LocalizedMessage",
    "abort_on_auth_error",
    "is_secret_key",
    "looks_like_credential",
]
