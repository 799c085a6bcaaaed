//! The integration tests, one binary: a module per public path (`server`,
//! `client`, `wire`, `http`, `jwt`, `interop`), the shared helpers in
//! `support`. Three tests stay binaries of their own because they own
//! process-wide state: `tests/allocations.rs` (a counting global
//! allocator), `tests/provider_client.rs` (proxy environment variables)
//! and `tests/observability.rs` (`tracing`'s callsite interest and maximum
//! level are process-wide: a subscriber made by a test on another thread
//! can turn the `auth` span off mid-test, as it did here).

mod support;

mod client;
mod http;
mod interop;
mod jwt;
mod layout;
mod server;
mod wire;
