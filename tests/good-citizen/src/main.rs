//! An application with its own jsonwebtoken (backend chosen by this
//! crate's features: `rust_crypto`, `aws_lc_rs`, or none) and auth-error
//! with its default features. Run as `good-citizen-app app-first` and
//! `good-citizen-app auth-error-first`; exits non-zero (a failed assertion)
//! when auth-error changed how the application's jsonwebtoken behaves, set
//! a process-wide provider, or could not verify on its own backend.
//!
//! With feature `oidc` (auth-error's identity-provider client), run as
//! `good-citizen-app http-clients`: another crate's `reqwest::Client::new()`
//! (features `reqwest`, without TLS, or `reqwest-rustls`) builds as it
//! would without auth-error, and auth-error's own client still builds.

use std::panic::{AssertUnwindSafe, catch_unwind};

use auth_error::jwt::JwtVerifier;
use auth_error::server::TokenVerifier;
use jsonwebtoken::crypto::{CryptoProvider, KeyUtils};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

const KEY: &[u8] = b"good-citizen-key-of-32-bytes-min";
/// HS256 under `KEY`, `{"sub":"app","exp":4102444800}` (the year 2100).
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhcHAiLCJleHAiOjQxMDI0NDQ4MDB9.TZ5kBJIQ2W_4DcJm9xfstJOD6C7dtM7iGACIb-HiQLE";

/// A provider no backend feature provides: installing it succeeds only if
/// nobody installed one before.
static MARKER: CryptoProvider = CryptoProvider {
    signer_factory: |_, _| Err(jsonwebtoken::errors::ErrorKind::InvalidAlgorithm.into()),
    verifier_factory: |_, _| Err(jsonwebtoken::errors::ErrorKind::InvalidAlgorithm.into()),
    key_utils: KeyUtils::new_unimplemented(),
};

/// The application's own use of jsonwebtoken: sign and read a token of its
/// own. `Err` when jsonwebtoken panicked (no backend chosen).
fn own_round_trip() -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| {
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({ "sub": "own", "exp": 4102444800u64 }),
            &EncodingKey::from_secret(KEY),
        )
        .expect("encode");
        jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(KEY),
            &Validation::new(Algorithm::HS256),
        )
        .expect("decode");
    }))
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// Whether the application's own jsonwebtoken works as it would without
/// auth-error: with a backend feature, yes; with none, it panics asking
/// for a provider.
fn assert_own_behaves_as_without_auth_error() {
    let own = own_round_trip();
    #[cfg(any(feature = "rust_crypto", feature = "aws_lc_rs"))]
    assert_eq!(own, Ok(()), "the application's own jsonwebtoken calls");
    #[cfg(not(any(feature = "rust_crypto", feature = "aws_lc_rs")))]
    assert!(
        own.as_ref().is_err_and(|why| why.contains("CryptoProvider")),
        "without a backend jsonwebtoken panics as it does without auth-error: {own:?}"
    );
}

/// auth-error verifies on its own backend, whatever the application's
/// jsonwebtoken has (or lacks): a good token served, a forged one refused
/// as the client's fault, never a server fault.
fn assert_auth_error_verifies() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_aud = false;
    let verifier = JwtVerifier::new(DecodingKey::from_secret(KEY), validation);
    let verified = runtime.block_on(verifier.verify(TOKEN));
    assert!(verified.is_ok(), "auth-error verifies: {verified:?}");
    let forged = format!("{}x", &TOKEN[..TOKEN.len() - 1]);
    match runtime.block_on(verifier.verify(&forged)) {
        Err(auth_error::server::Rejection::Auth(err)) => assert_eq!(
            err.code(),
            auth_error::AuthErrorCode::AuthFailedInvalidBearerToken
        ),
        other => panic!("a forged token is the client's fault: {other:?}"),
    }
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("app-first") => {
            // The application touches jsonwebtoken first (with no backend,
            // this fixes jsonwebtoken's default to its panicking one).
            assert_own_behaves_as_without_auth_error();
            assert_auth_error_verifies();
            assert_own_behaves_as_without_auth_error();
            // The backend the application chose is still the one in use:
            // told apart by a P-256 key that is not on the curve, which
            // RustCrypto refuses when making a verifier and aws-lc-rs only
            // when verifying.
            #[cfg(any(feature = "rust_crypto", feature = "aws_lc_rs"))]
            {
                let broken = DecodingKey::from_ec_components("AA", "AA").unwrap();
                let probe = jsonwebtoken::crypto::verify("", b"", &broken, Algorithm::ES256);
                #[cfg(feature = "rust_crypto")]
                assert!(probe.is_err(), "RustCrypto in use: {probe:?}");
                #[cfg(feature = "aws_lc_rs")]
                assert!(matches!(probe, Ok(false)), "aws-lc-rs in use: {probe:?}");
            }
        }
        Some("auth-error-first") => {
            assert_auth_error_verifies();
            // auth-error set no process-wide provider: the application may
            // still install its own.
            assert!(
                CryptoProvider::install_default(&MARKER).is_ok(),
                "auth-error installed a process-wide jsonwebtoken provider"
            );
        }
        #[cfg(feature = "oidc")]
        Some("http-clients") => {
            // auth-error's provider client first, then another crate's.
            let verifier = JwtVerifier::from_issuer(
                "https://id.example.com",
                Validation::new(Algorithm::RS256),
            );
            assert!(verifier.is_ok(), "auth-error's client builds: {verifier:?}");
            #[cfg(feature = "reqwest")]
            {
                let built = catch_unwind(reqwest::Client::new);
                assert!(
                    built.is_ok(),
                    "another crate's reqwest::Client::new() panicked beside auth-error"
                );
            }
            // And auth-error set no process-wide rustls provider.
            assert!(
                auth_error_rustls_default_untouched(),
                "auth-error installed a process-wide rustls provider"
            );
        }
        other => panic!(
            "usage: good-citizen-app app-first|auth-error-first|http-clients (got {other:?})"
        ),
    }
    println!("ok");
}

/// Whether no process-wide rustls provider is installed (auth-error builds
/// its TLS configuration with an explicit provider).
#[cfg(feature = "oidc")]
fn auth_error_rustls_default_untouched() -> bool {
    rustls::crypto::CryptoProvider::get_default().is_none()
}
