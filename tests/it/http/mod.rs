//! Tests of `auth_error::http` and what it builds on.

mod exits;
mod openapi;
