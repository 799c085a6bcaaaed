//! The RFC 6750 / RFC 9470 `WWW-Authenticate` challenge of an error (the
//! challenge kind of each code is a column of the code table).

use http::HeaderValue;

use crate::{AuthError, BearerChallenge, keys};

/// RFC 6750 `error_description` and `realm` allow %x20-21 / %x23-5B / %x5D-7E:
/// printable ASCII without `"` and `\`.
fn is_attr_char(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

/// RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c != ' ' && is_attr_char(c))
}

impl AuthError {
    /// The `WWW-Authenticate` value for this error (RFC 6750 Bearer, RFC 9470
    /// for step-up), or `None` when the code has no challenge.
    ///
    /// Safe quoting: `error_description` is the message when it consists only
    /// of the characters RFC 6750 allows there and does not look like a
    /// credential, otherwise the code's ASCII
    /// [`description`](crate::AuthErrorCode::description); `scope` lists the
    /// [`required_scopes`](AuthError::required_scopes) that are valid scope
    /// tokens; `realm`, if given, keeps only allowed characters. No input can
    /// break out of a quoted string or inject a header line.
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode};
    /// let err = AuthError::new(AuthErrorCode::InvalidScope).with_required_scopes(["orders.write"]);
    /// assert_eq!(
    ///     err.www_authenticate(Some("api")).unwrap(),
    ///     r#"Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders.write""#
    /// );
    /// let missing = AuthError::new(AuthErrorCode::BearerTokenMissing);
    /// assert_eq!(missing.www_authenticate(None).unwrap(), "Bearer");
    /// ```
    pub fn www_authenticate(&self, realm: Option<&str>) -> Option<HeaderValue> {
        self.challenge(realm, None, None)
    }

    /// [`www_authenticate`](Self::www_authenticate), with the RFC 9728
    /// `resource_metadata` URL (checked by the layer's builder) last.
    ///
    /// An error carrying step-up context ([`keys::ACR_VALUES`],
    /// [`keys::MAX_AGE`]) is an RFC 9470 challenge whatever its code:
    /// `insufficient_user_authentication` with `acr_values` and `max_age`.
    /// A DPoP error (RFC 9449) is a `DPoP` challenge, with `algs` (the
    /// proof algorithms the server accepts) when given.
    pub(crate) fn challenge(
        &self,
        realm: Option<&str>,
        resource_metadata: Option<&str>,
        dpop_algs: Option<&str>,
    ) -> Option<HeaderValue> {
        let acr_values: Vec<&str> = self
            .metadata()
            .get(keys::ACR_VALUES)
            .map(|v| v.split(' ').filter(|s| is_scope_token(s)).collect())
            .unwrap_or_default();
        let max_age = self.max_age();
        let step_up = !acr_values.is_empty() || max_age.is_some();
        let challenge = match step_up {
            true => BearerChallenge::InsufficientUserAuthentication,
            false => BearerChallenge::for_code(self.code())?,
        };
        // One string, written in place: the scheme then `, `-separated
        // parameters.
        let scheme = challenge.scheme();
        let mut value = String::with_capacity(128);
        value.push_str(scheme);
        let mut param = |name: &str, quoted: bool, v: &dyn std::fmt::Display| {
            use std::fmt::Write as _;
            value.push_str(if value.len() == scheme.len() {
                " "
            } else {
                ", "
            });
            let _ = match quoted {
                true => write!(value, "{name}=\"{v}\""),
                false => write!(value, "{name}={v}"),
            };
        };
        if let Some(realm) = realm {
            let realm: String = realm.chars().filter(|c| is_attr_char(*c)).collect();
            param("realm", true, &realm);
        }
        if scheme == "DPoP"
            && let Some(algs) = dpop_algs
        {
            param("algs", true, &algs);
        }
        if let Some(error) = challenge.error() {
            param("error", true, &error);
            // A message that looks like a credential never goes into a header
            // (the message rule: a `&'static str` is scanned once per string).
            let description = if !self.message().is_empty()
                && self.message().chars().all(is_attr_char)
                && crate::rules::check_message_of(self).is_ok()
            {
                self.message()
            } else {
                self.code().description()
            };
            param("error_description", true, &description);
        }
        if challenge == BearerChallenge::InsufficientScope {
            let scopes: Vec<&str> = self
                .metadata()
                .get(keys::REQUIRED_SCOPES)
                .map(|v| v.split(' ').filter(|s| is_scope_token(s)).collect())
                .unwrap_or_default();
            if !scopes.is_empty() {
                param("scope", true, &scopes.join(" "));
            }
        }
        if !acr_values.is_empty() {
            param("acr_values", true, &acr_values.join(" "));
        }
        if let Some(max_age) = max_age {
            param("max_age", false, &max_age.as_secs());
        }
        if let Some(url) = resource_metadata {
            param("resource_metadata", true, &url);
        }
        // Every character above is visible ASCII or space.
        HeaderValue::try_from(value).ok()
    }
}
