//! TLS for PostgreSQL with rustls (ring), by libpq's sslmode, and the
//! connector that tokio-postgres drives: `prefer`/`require` encrypt without
//! checking the certificate (libpq's meaning), `verify-ca` checks the chain
//! against `sslrootcert`, `verify-full` the chain and host name (against
//! `sslrootcert`, else the system's plus webpki's roots).
//!
//! Our own connector (not tokio-postgres-rustls) because the startup guard
//! must know two things only it can see: whether the certificate was
//! verified, and whether the session can give a channel-binding hash.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_postgres::tls::{ChannelBinding, TlsConnect};

use super::guard::{Guarded, Watch};
use crate::config::SslMode;
use crate::{Error, Result};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The socket under everything: the raw TCP stream, watched until TLS starts.
pub type Socket = Guarded<TcpStream>;

/// How to wrap a connection in TLS for one database, or `None` for `disable`.
#[derive(Clone)]
pub struct Tls {
    config: Option<Arc<ClientConfig>>,
    host: String,
    verified: bool,
    allow_insecure: bool,
}

impl Tls {
    pub fn new(mode: SslMode, rootcert: Option<&Path>, host: &str, allow_insecure: bool) -> Result<Tls> {
        let verifier: Arc<dyn ServerCertVerifier> = match mode {
            SslMode::Disable => {
                return Ok(Tls { config: None, host: host.to_string(), verified: false, allow_insecure });
            }
            SslMode::Prefer | SslMode::Require => Arc::new(Unverified(provider())),
            SslMode::VerifyCa => Arc::new(ChainOnly(webpki(rootcert)?)),
            SslMode::VerifyFull => webpki(rootcert)?,
        };
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Operational(format!("cannot set up TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Tls {
            config: Some(Arc::new(config)),
            host: host.to_string(),
            verified: matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull),
            allow_insecure,
        })
    }

    /// The watch for the raw socket of a login.
    pub fn plain_watch(&self) -> Watch {
        Watch::plain(self.config.is_some(), self.allow_insecure)
    }
}

impl TlsConnect<Socket> for Tls {
    type Stream = TlsStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TlsStream>> + Send>>;

    fn connect(self, mut socket: Socket) -> Self::Future {
        socket.stop_watching(); // TLS records from here; the watch goes inside
        Box::pin(async move {
            let config = self.config.ok_or_else(|| io::Error::other("TLS is disabled (sslmode=disable)"))?;
            let name = ServerName::try_from(self.host).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let stream = tokio_rustls::TlsConnector::from(config).connect(name, socket).await?;
            let binding = end_point_hash(&stream);
            let watch = Watch::tls(self.verified, self.allow_insecure, binding.is_some());
            Ok(TlsStream { inner: Guarded::new(stream, watch), binding })
        })
    }
}

/// A TLS session to the server, watched during login.
pub struct TlsStream {
    inner: Guarded<tokio_rustls::client::TlsStream<Socket>>,
    binding: Option<Vec<u8>>,
}

impl tokio_postgres::tls::TlsStream for TlsStream {
    fn channel_binding(&self) -> ChannelBinding {
        match &self.binding {
            Some(hash) => ChannelBinding::tls_server_end_point(hash.clone()),
            None => ChannelBinding::none(),
        }
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The `tls-server-end-point` channel-binding hash (RFC 5929): the leaf
/// certificate hashed with its signature's hash (SHA-1 and MD5 become
/// SHA-256). None for algorithms without one (Ed25519, RSA-PSS).
fn end_point_hash(stream: &tokio_rustls::client::TlsStream<Socket>) -> Option<Vec<u8>> {
    use sha2::Digest;
    use x509_cert::der::Decode;
    use x509_cert::der::oid::db::rfc5912::{
        ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, SHA_1_WITH_RSA_ENCRYPTION,
        SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
    };
    let leaf = stream.get_ref().1.peer_certificates()?.first()?;
    let algorithm = x509_cert::Certificate::from_der(leaf.as_ref()).ok()?.signature_algorithm.oid;
    let data = leaf.as_ref();
    Some(match algorithm {
        SHA_1_WITH_RSA_ENCRYPTION | SHA_256_WITH_RSA_ENCRYPTION | ECDSA_WITH_SHA_256 => {
            sha2::Sha256::digest(data).to_vec()
        }
        SHA_384_WITH_RSA_ENCRYPTION | ECDSA_WITH_SHA_384 => sha2::Sha384::digest(data).to_vec(),
        SHA_512_WITH_RSA_ENCRYPTION | ECDSA_WITH_SHA_512 => sha2::Sha512::digest(data).to_vec(),
        _ => return None,
    })
}

fn webpki(rootcert: Option<&Path>) -> Result<Arc<WebPkiServerVerifier>> {
    let mut roots = RootCertStore::empty();
    match rootcert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect::<std::result::Result<Vec<_>, _>>)
                .map_err(|e| Error::Config(format!("cannot read sslrootcert {}: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(Error::Config(format!("sslrootcert {} holds no PEM certificates", path.display())));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| Error::Config(format!("bad certificate in {}: {e}", path.display())))?;
            }
        }
        None => {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert); // an odd system certificate is not our problem
            }
        }
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| Error::Operational(format!("cannot set up TLS verification: {e}")))
}

/// `verify-ca`: a trusted chain is enough; the host name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` / `require`: encrypted, certificate not checked (libpq's meaning).
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
