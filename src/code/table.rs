// THE code table: one row per `AuthErrorCode` value, in proto order.
//
//   Variant => gRPC code, HTTP status, client action [/ client action when
//              the error carries a retry delay], [Bearer challenge];
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
    NoAuthError => Ok, 200 OK, None, [];
    AuthFailedInvalidBearerToken => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    AuthFailedInvalidSubject => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    AuthFailedInvalidAudience => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    AuthFailedInvalidIssuer => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    BearerTokenMissing => Unauthenticated, 401 UNAUTHORIZED, ProvideCredentials, [Missing];
    TokenExpired => Unauthenticated, 401 UNAUTHORIZED, RefreshCredentials, [InvalidToken];
    TokenNotActive => Unauthenticated, 401 UNAUTHORIZED, RetryLater, [InvalidToken];
    TokenRevoked => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    InvalidClaims => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    MissingRequiredClaims => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    InvalidScope => PermissionDenied, 403 FORBIDDEN, RequestAccess, [InsufficientScope];
    InvalidPermissions => PermissionDenied, 403 FORBIDDEN, RequestAccess, [];
    SessionExpired => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    SessionInvalid => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    SessionRevoked => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    Unauthenticated => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
    MultiFactorRequired => Unauthenticated, 401 UNAUTHORIZED, CompleteMultiFactor, [InsufficientUserAuthentication];
    MultiFactorFailed => Unauthenticated, 401 UNAUTHORIZED, CompleteMultiFactor, [InsufficientUserAuthentication];
    AccountLocked => PermissionDenied, 403 FORBIDDEN, ContactAdministrator / RetryLater, [];
    AccountDisabled => PermissionDenied, 403 FORBIDDEN, ContactAdministrator, [];
    PasswordExpired => FailedPrecondition, 400 BAD_REQUEST, ChangePassword, [];
    PasswordResetRequired => FailedPrecondition, 400 BAD_REQUEST, ChangePassword, [];
    UnrecognizedDevice => Unauthenticated, 401 UNAUTHORIZED, VerifyDevice, [InvalidToken];
    DpopProofInvalid => Unauthenticated, 401 UNAUTHORIZED, ProvideCredentials, [InvalidDpopProof];
    DpopNonceRequired => Unauthenticated, 401 UNAUTHORIZED, RetryWithNonce, [UseDpopNonce];
    TokenBindingMismatch => Unauthenticated, 401 UNAUTHORIZED, Reauthenticate, [InvalidToken];
}
