//! The integration tests, one binary: a module per public path (`server`,
//! `client`, `wire`, `http`, `jwt`, `interop`), the shared helpers in
//! `support`. Two tests stay binaries of their own because they own
//! process-wide state: `tests/allocations.rs` (a counting global
//! allocator) and `tests/provider_client.rs` (proxy environment variables).

mod support;

mod client;
mod http;
mod interop;
mod jwt;
mod layout;
mod server;
mod wire;
