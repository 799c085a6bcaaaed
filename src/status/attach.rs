//! Attach: [`AuthError::try_into_status`] (strict), `From<AuthError> for
//! Status` (lenient), and the per-code ErrorInfo bytes of the fast path.

use std::borrow::Cow;
use std::sync::LazyLock;

use tonic::Status;

use crate::wire::encode::{Parts, encode_with_field};
use crate::{
    AttachError, AuthError, AuthErrorCode, DOMAIN, MAX_DETAILS_LEN, MAX_DOMAIN_LEN, rules,
};

impl AuthError {
    /// The exact `grpc-status-details-bin` payload (before base64) that
    /// [`try_into_status`](Self::try_into_status) would attach: a
    /// `google.rpc.Status` with this error's gRPC code and message, the
    /// ErrorInfo, then the extra details. Deterministic: metadata is in key order.
    ///
    /// Fails for the same reasons as `try_into_status`.
    pub fn encode_details(&self) -> Result<Vec<u8>, AttachError> {
        let lens = rules::check(self)?;
        Ok(self.wire_parts().encode_with(lens))
    }

    /// Converts into a `Status`, refusing anything that would not be sent
    /// faithfully (see [`AttachError`]).
    ///
    /// ```
    /// use auth_error::{AttachError, AuthError, AuthErrorCode};
    /// let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("Bad Key", "x");
    /// assert!(matches!(err.try_into_status(), Err(AttachError::InvalidMetadataKey { .. })));
    /// ```
    pub fn try_into_status(self) -> Result<Status, AttachError> {
        let details = self.encode_details()?;
        Ok(Status::with_details(
            self.grpc_code(),
            self.into_message().into_owned(),
            details.into(),
        ))
    }
}

/// The `details` field (tag, length and `Any`) of the ErrorInfo of each code
/// (indexed like [`AuthErrorCode::ALL`]) with the default domain and no
/// metadata: constant per code, so encoded once.
static DEFAULT_ERROR_INFO: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    AuthErrorCode::ALL
        .iter()
        .map(|code| {
            // Code 0 and an empty message are omitted on the wire, which
            // leaves exactly the details field.
            let parts = Parts {
                code: 0,
                message: "",
                reason: code.as_str_name(),
                domain: DOMAIN,
                metadata: std::iter::empty(),
                details: std::iter::empty(),
            };
            parts.encode_with(parts.lens())
        })
        .collect()
});

/// Below this message length the fast path's output always fits the bound.
const FAST_PATH_MAX_MESSAGE: usize = MAX_DETAILS_LEN - MAX_DOMAIN_LEN - 128;

impl From<AuthError> for Status {
    /// The lenient conversion: never fails, never panics (see [`AuthError`]).
    fn from(err: AuthError) -> Status {
        let code = err.code();
        if !code.is_error() {
            let message = match rules::check_message_of(&err) {
                Ok(()) => err.into_message().into_owned(),
                Err(_) => code.description().to_owned(),
            };
            return Status::new(tonic::Code::Unknown, message);
        }
        // Fast path, the common rejection: a plain error (default domain, no
        // metadata, no extra details) whose message fits. Same bytes as the
        // rules and the encoder below give, with the ErrorInfo precomputed.
        let mut err = match err.into_plain_message() {
            Ok(message) => match DEFAULT_ERROR_INFO.get(code.index()) {
                Some(field) if message.len() < FAST_PATH_MAX_MESSAGE => {
                    // A message the text rule refuses is replaced by the
                    // code's description, as `rules::sanitize` does.
                    let message = match rules::check_message(&message) {
                        Ok(()) => message,
                        Err(_) => Cow::Borrowed(code.description()),
                    };
                    let grpc = code.grpc_code();
                    let details = encode_with_field(grpc as i32, &message, field);
                    return Status::with_details(grpc, message.into_owned(), details.into());
                }
                _ => AuthError::new(code).with_message(message),
            },
            Err(err) => err,
        };
        let lens = rules::sanitize(&mut err);
        let details = err.owned_wire_parts().encode_with(lens);
        Status::with_details(
            code.grpc_code(),
            err.into_message().into_owned(),
            details.into(),
        )
    }
}
