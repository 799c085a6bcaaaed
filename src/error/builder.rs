//! The builder methods of [`AuthError`]: message, domain, metadata and
//! extra details. Nothing is checked here; the rules check at every exit.

use std::borrow::Cow;
use std::time::Duration;

use prost::Message;
use prost_types::Any;

use super::{AuthError, ExtraDetail};
use crate::DOMAIN;

impl AuthError {
    /// Sets the human-readable message (the status message, also carried in
    /// the details).
    #[must_use]
    #[inline]
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.set_message(message.into());
        self
    }

    /// Sets the ErrorInfo domain (default [`DOMAIN`]). Readers look for their
    /// domain: [`auth_error_in`](crate::AuthStatusExt::auth_error_in).
    #[must_use]
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        self.domain = (domain != DOMAIN).then(|| Box::new(domain));
        self
    }

    /// Adds a metadata entry; a second value for the same key replaces the
    /// first. Keys follow AIP-193 (`[a-z][a-zA-Z0-9-_]*`, lowerCamelCase by
    /// convention); see [`keys`](crate::keys) for the documented context keys.
    ///
    /// The key is a `&'static str` (a literal, a [`keys`](crate::keys)
    /// constant) or an owned `String`, as for
    /// [`with_message`](Self::with_message): a static key is stored without
    /// copying and its key rules run once per thread, not on every attach
    /// (the same reason `http::HeaderMap::insert` takes static names). A key
    /// built at run time is passed owned:
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode};
    /// let field = String::from("orgId");
    /// let err = AuthError::new(AuthErrorCode::InvalidPermissions)
    ///     .with_metadata("userId", "42")
    ///     .with_metadata(field.clone(), "acme");
    /// assert_eq!(err.metadata().get("orgId"), Some("acme"));
    /// ```
    #[must_use]
    pub fn with_metadata(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> Self {
        let key = super::views::stored_key(key.into());
        self.metadata_entries().insert(key, value.into());
        self
    }

    /// Adds an extra detail of any type, carried after the ErrorInfo and
    /// returned unchanged by [`details`](Self::details) on the other side.
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
    /// let any = prost_types::Any { type_url: "type.example.com/my.Detail".into(), value: vec![8, 1] };
    /// let status: tonic::Status = AuthError::new(AuthErrorCode::Unauthenticated)
    ///     .add_detail(any.clone())
    ///     .into();
    /// assert_eq!(status.auth_error().unwrap().details().to_vec(), [any]);
    /// ```
    #[must_use]
    pub fn add_detail(mut self, detail: Any) -> Self {
        self.details_mut().push(detail);
        self
    }

    /// Adds every standard detail of a tonic-types [`ErrorDetails`] as
    /// extra details, in tonic-types' order.
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
    /// use tonic_types::ErrorDetails;
    /// let status: tonic::Status = AuthError::new(AuthErrorCode::InvalidScope)
    ///     .add_error_details(ErrorDetails::with_help_link("scopes", "https://example.com/scopes"))
    ///     .into();
    /// let details = status.auth_error().unwrap().error_details();
    /// assert_eq!(details.help().unwrap().links[0].url, "https://example.com/scopes");
    /// ```
    ///
    /// [`ErrorDetails`]: tonic_types::ErrorDetails
    #[must_use]
    pub fn add_error_details(mut self, details: tonic_types::ErrorDetails) -> Self {
        use tonic_types::StatusExt;
        // tonic-types keeps its Any conversions private; its own encoding is
        // the one source of truth, so decode what it writes.
        let status = tonic::Status::with_error_details(tonic::Code::Unknown, "", details);
        if let Ok(decoded) = tonic_types::pb::Status::decode(status.details()) {
            self.details_mut().extend(decoded.details);
        }
        self
    }

    /// Sets the `google.rpc.RetryInfo` extra detail: how long the client should
    /// wait before retrying (a lockout's end, a token's not-before time).
    /// Replaces a delay set before (an error carries one retry delay); a
    /// delay beyond `google.protobuf.Duration`'s range is clamped to it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, ClientAction};
    /// let status: tonic::Status = AuthError::new(AuthErrorCode::AccountLocked)
    ///     .with_retry_after(Duration::from_secs(900))
    ///     .into();
    /// let err = status.auth_error().unwrap();
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(900)));
    /// assert_eq!(err.client_action(), ClientAction::RetryLater);
    /// ```
    #[must_use]
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.details_mut()
            .retain(|d| d.type_url != tonic_types::RetryInfo::TYPE_URL);
        self.add_detail(ExtraDetail::retry_after(delay).to_any())
    }

    /// Adds a `google.rpc.Help` extra detail with one link (call again to add
    /// more links, each as its own detail).
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
    /// let status: tonic::Status = AuthError::new(AuthErrorCode::PasswordExpired)
    ///     .add_help_link("change your password", "https://id.example.com/password")
    ///     .into();
    /// let links = status.auth_error().unwrap().help_links();
    /// assert_eq!(links[0].url, "https://id.example.com/password");
    /// ```
    #[must_use]
    pub fn add_help_link(self, description: impl Into<String>, url: impl Into<String>) -> Self {
        let link = tonic_types::HelpLink::new(description, url);
        self.add_detail(ExtraDetail::Help(vec![link]).to_any())
    }

    /// Adds a `google.rpc.LocalizedMessage` extra detail: a message for the
    /// end user in `locale` (BCP 47, e.g. `"fr-CH"`; one per locale).
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
    /// let status: tonic::Status = AuthError::new(AuthErrorCode::SessionExpired)
    ///     .add_localized_message("fr-CH", "Votre session a expiré.")
    ///     .into();
    /// let msg = status.auth_error().unwrap().localized_message().unwrap();
    /// assert_eq!((msg.locale.as_str(), msg.message.as_str()), ("fr-CH", "Votre session a expiré."));
    /// ```
    #[must_use]
    pub fn add_localized_message(
        self,
        locale: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let msg = tonic_types::LocalizedMessage::new(locale, message);
        self.add_detail(ExtraDetail::LocalizedMessage(msg).to_any())
    }
}
