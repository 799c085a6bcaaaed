//! Interop with other languages' standard gRPC libraries and the companion packages.

mod companions;
mod python;
