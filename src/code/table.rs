// THE code table: one row per `AuthErrorCode` value, in proto order.
//
//   Variant => gRPC code, HTTP status, client action, [Bearer challenge], "description";
//
// Every property of a code, `AuthErrorCode::ALL`, and the rustdoc line of each
// variant (through `build.rs`, which includes this file too) are generated
// from these rows. A value added to the proto fails to compile until it has a
// row here: the generated `match`es are exhaustive and have no `_` arm.
//
// Why these mappings: `PERMISSION_DENIED` when the caller is known but may not
// do this; `FAILED_PRECONDITION` for password states (retrying is useless
// until the password changes); `UNAUTHENTICATED` whenever the caller's
// identity could not be established. HTTP follows `google.rpc.Code`'s mapping.
code_table! {
    NoAuthError => Ok, 200 OK, None, [], "no authentication error";
    AuthFailedInvalidBearerToken => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "the bearer token is invalid";
    AuthFailedInvalidSubject => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "the token subject is not valid";
    AuthFailedInvalidAudience => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "the token audience does not include this service";
    AuthFailedInvalidIssuer => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "the token issuer is not trusted";
    BearerTokenMissing => Unauthenticated, 401 UNAUTHORIZED, ProvideCredentials, [Missing], "the request carries no bearer token";
    TokenExpired => Unauthenticated, 401 UNAUTHORIZED, RefreshCredentials, [InvalidToken], "the bearer token has expired";
    TokenNotActive => Unauthenticated, 401 UNAUTHORIZED, RetryLater, [InvalidToken], "the bearer token is not valid yet";
    TokenRevoked => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "the bearer token has been revoked";
    InvalidClaims => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "the token has invalid claims";
    MissingRequiredClaims => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "the token lacks required claims";
    InvalidScope => PermissionDenied, 403 FORBIDDEN, RequestAccess, [InsufficientScope], "the token lacks a required scope";
    InvalidPermissions => PermissionDenied, 403 FORBIDDEN, RequestAccess, [], "the caller lacks a required permission";
    SessionExpired => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "the session has expired";
    SessionInvalid => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "the session is invalid";
    SessionRevoked => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "the session has been revoked";
    Unauthenticated => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken], "authentication failed";
    MultiFactorRequired => Unauthenticated, 401 UNAUTHORIZED, CompleteMultiFactor, [InsufficientUserAuthentication], "multi-factor authentication is required";
    MultiFactorFailed => Unauthenticated, 401 UNAUTHORIZED, CompleteMultiFactor, [InsufficientUserAuthentication], "multi-factor authentication failed";
    AccountLocked => PermissionDenied, 403 FORBIDDEN, ContactAdministrator, [], "the account is locked after too many failed login attempts";
    AccountDisabled => PermissionDenied, 403 FORBIDDEN, ContactAdministrator, [], "the account has been disabled by an administrator";
    PasswordExpired => FailedPrecondition, 400 BAD_REQUEST, ChangePassword, [], "the password has expired and must be changed";
    PasswordResetRequired => FailedPrecondition, 400 BAD_REQUEST, ChangePassword, [], "a password reset is required";
    UnrecognizedDevice => Unauthenticated, 401 UNAUTHORIZED, VerifyDevice, [InvalidToken], "the login comes from an unrecognized device";
}
