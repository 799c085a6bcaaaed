//! `serde` support (feature `serde`): [`AuthErrorCode`] as its name.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::AuthErrorCode;

impl Serialize for AuthErrorCode {
    /// Serializes as the value name (`"TOKEN_EXPIRED"`), the way the OpenAPI
    /// model and proto3 JSON spell it.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str_name())
    }
}

impl<'de> Deserialize<'de> for AuthErrorCode {
    /// Parses the exact value name; like proto3 JSON, also accepts the wire
    /// number.
    ///
    /// ```
    /// # #[cfg(feature = "serde")] {
    /// use auth_error::AuthErrorCode;
    /// let code: AuthErrorCode = serde_json::from_str("\"TOKEN_EXPIRED\"").unwrap();
    /// assert_eq!(code, AuthErrorCode::TokenExpired);
    /// assert_eq!(serde_json::to_string(&code).unwrap(), "\"TOKEN_EXPIRED\"");
    /// assert!(serde_json::from_str::<AuthErrorCode>("\"token_expired\"").is_err());
    /// # }
    /// ```
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;

        impl Visitor<'_> for CodeVisitor {
            type Value = AuthErrorCode;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AuthErrorCode name such as \"TOKEN_EXPIRED\", or its number")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<AuthErrorCode, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AuthErrorCode, E> {
                i32::try_from(v)
                    .ok()
                    .and_then(|n| AuthErrorCode::try_from(n).ok())
                    .ok_or_else(|| E::custom(format!("unknown auth error code number {v}")))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AuthErrorCode, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }

        deserializer.deserialize_any(CodeVisitor)
    }
}
