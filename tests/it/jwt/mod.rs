//! Tests of `auth_error::jwt` and what it builds on.

mod introspection;
mod jwt_verifier;
mod key_set;
mod oidc;
mod test_issuer;
