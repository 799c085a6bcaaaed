//! Tests of `auth_error::client` and what it builds on.

mod credentials;
mod guard;
