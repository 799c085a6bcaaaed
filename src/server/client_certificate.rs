//! [`ClientCertificate`]: the TLS client certificate of a request's
//! connection, for certificate-bound tokens (RFC 8705 §3).

use std::fmt;

use bytes::Bytes;

/// The TLS client certificate (DER) of the connection a request came on,
/// in the request's extensions, for tokens bound to it (`cnf["x5t#S256"]`,
/// RFC 8705 §3): [`BearerAuthLayer`](crate::server::BearerAuthLayer) serves
/// such a token only when the SHA-256 of this certificate is the token's
/// thumbprint (`TOKEN_BINDING_MISMATCH` otherwise, or without one).
///
/// **tonic**: with feature `mtls`, the layer reads the certificate tonic's
/// own TLS server records (`Server::builder().tls_config(..)` with a client
/// CA); nothing to do. **axum, hyper, or any other acceptor**: insert the
/// leaf certificate the TLS handshake verified into each request's
/// extensions, in front of the layer:
///
/// ```
/// use auth_error::server::ClientCertificate;
/// # let der: Vec<u8> = vec![0x30, 0x82];
/// // Per connection, after the handshake (e.g. tokio-rustls'
/// // `server_connection.peer_certificates()`), for each request:
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(ClientCertificate::new(der));
/// ```
///
/// The layer never trusts a certificate by itself: your TLS acceptor
/// verifies it (against your client CA); the layer checks it is the one the
/// token is bound to.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    der: Bytes,
}

impl ClientCertificate {
    /// The certificate, DER-encoded.
    pub fn new(der: impl Into<Bytes>) -> Self {
        ClientCertificate { der: der.into() }
    }

    /// The certificate's DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Its RFC 8705 thumbprint: base64url SHA-256 of the DER, what a bound
    /// token's `cnf["x5t#S256"]` holds.
    #[cfg(feature = "sender-constrained")]
    pub fn thumbprint(&self) -> String {
        crate::jose::sha256_b64(&self.der)
    }

    /// The thumbprint of the request's client certificate: a
    /// [`ClientCertificate`] extension, else (feature `mtls`) the leaf of
    /// tonic's TLS connection info. `None` without one, or in a build that
    /// cannot hash (without feature `sender-constrained`, so a bound token
    /// is refused).
    pub(crate) fn thumbprint_of(extensions: &http::Extensions) -> Option<String> {
        #[cfg(feature = "sender-constrained")]
        {
            if let Some(cert) = extensions.get::<ClientCertificate>() {
                return Some(cert.thumbprint());
            }
            #[cfg(feature = "mtls")]
            {
                use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
                let certs = extensions
                    .get::<TlsConnectInfo<TcpConnectInfo>>()
                    .and_then(|info| info.peer_certs())?;
                certs.first().map(|leaf| crate::jose::sha256_b64(leaf))
            }
            #[cfg(not(feature = "mtls"))]
            None
        }
        #[cfg(not(feature = "sender-constrained"))]
        {
            let _ = extensions;
            None
        }
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("der_len", &self.der.len())
            .finish()
    }
}
