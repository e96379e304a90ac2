//! TLS for the database backends: rustls with the `ring` provider, so no
//! OpenSSL on the system. The modes (see [`TlsMode`]) mean what MySQL's
//! `--ssl-mode` and libpq's `sslmode` mean:
//!
//! - `preferred` / `required`: encrypted, the certificate not checked
//!   (protects against listeners, not against an impostor);
//! - `verify-ca`: the certificate must chain to a trusted CA;
//! - `verify-full`: … and be issued for the host name (or IP) connected to.
//!
//! Trusted CAs: the file the URI names (`ssl-ca=` / `sslrootcert=`), else
//! the Mozilla roots built in (`webpki-roots`), which public clouds' server
//! certificates usually do not chain to: give their CA bundle.

#[cfg(feature = "postgres")]
use std::path::Path;
#[cfg(feature = "postgres")]
use std::sync::Arc;

#[cfg(feature = "postgres")]
use anyhow::{Context, Result};
use rustls::CertificateError;

#[cfg(feature = "postgres")]
use crate::uri::TlsMode;

/// The warning `info` gives about a connection to `host` that is not
/// encrypted (none for loopback, whose traffic never leaves the machine).
pub(crate) fn plain_connection_warning(
    encrypted: bool,
    host: &str,
    mode_option: &str,
) -> Option<String> {
    (!encrypted && !crate::uri::is_loopback(host)).then(|| {
        format!(
            "the connection to {host} is not encrypted: tokens cross the network in clear; \
             use {mode_option}=verify-full"
        )
    })
}

/// A TLS failure somewhere in an error's chain, in plain words; `ca_option`
/// names the URI option that sets the CA file.
pub(crate) fn describe_tls_error(
    error: &(dyn std::error::Error + 'static),
    ca_option: &str,
) -> Option<String> {
    let mut source = Some(error);
    while let Some(cause) = source {
        let found = cause.downcast_ref::<rustls::Error>().or_else(|| {
            cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls) = found {
            return Some(tls_words(tls, ca_option));
        }
        source = cause.source();
    }
    None
}

fn tls_words(error: &rustls::Error, ca_option: &str) -> String {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "the server's TLS certificate is not signed by a CA tokenstore trusts; give the \
             server's CA certificate with {ca_option}=PATH"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "the server's TLS certificate is not issued for this host name; connect by a name \
              the certificate lists, or use verify-ca"
            .into(),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the server's TLS certificate has expired".into(),
        rustls::Error::InvalidCertificate(other) => {
            format!("the server's TLS certificate is not acceptable ({other:?})")
        }
        other => format!("the TLS handshake with the server failed ({other})"),
    }
}

/// The rustls client configuration for a mode other than `disabled`.
#[cfg(feature = "postgres")]
pub(crate) fn client_config(
    mode: TlsMode,
    ca_file: Option<&Path>,
    ca_option: &str,
) -> Result<rustls::ClientConfig> {
    use rustls::client::danger::ServerCertVerifier;
    use rustls::client::WebPkiServerVerifier;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?;
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        TlsMode::Disabled | TlsMode::Preferred | TlsMode::Required => {
            Arc::new(verify::Unchecked(provider))
        }
        TlsMode::VerifyCa | TlsMode::VerifyFull => {
            let roots = trusted_roots(ca_file, ca_option)?;
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .context("cannot set up TLS certificate checks")?;
            if mode == TlsMode::VerifyCa {
                Arc::new(verify::AnyName(webpki))
            } else {
                webpki
            }
        }
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// The CA file's certificates, or the built-in Mozilla roots.
#[cfg(feature = "postgres")]
fn trusted_roots(ca_file: Option<&Path>, ca_option: &str) -> Result<rustls::RootCertStore> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    let Some(path) = ca_file else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(roots);
    };
    let shown = path.display();
    let text = std::fs::read(path)
        .with_context(|| format!("cannot read the CA file {shown} ({ca_option})"))?;
    for cert in CertificateDer::pem_slice_iter(&text) {
        let cert = cert.map_err(|_| {
            anyhow::anyhow!("the CA file {shown} ({ca_option}) is not PEM certificates")
        })?;
        roots.add(cert).with_context(|| {
            format!("the CA file {shown} ({ca_option}) holds a bad certificate")
        })?;
    }
    if roots.is_empty() {
        anyhow::bail!("the CA file {shown} ({ca_option}) holds no PEM certificate");
    }
    Ok(roots)
}

#[cfg(feature = "postgres")]
mod verify {
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::client::WebPkiServerVerifier;
    use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

    /// `preferred` and `required`: any certificate, but the handshake's
    /// signatures are still checked against it.
    #[derive(Debug)]
    pub(super) struct Unchecked(pub Arc<CryptoProvider>);

    impl ServerCertVerifier for Unchecked {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    /// `verify-ca`: a certificate that chains to a trusted CA, for any name.
    #[derive(Debug)]
    pub(super) struct AnyName(pub Arc<WebPkiServerVerifier>);

    impl ServerCertVerifier for AnyName {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            match self.0.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Err(Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_warns_about_plain_connections_off_this_machine() {
        let warning = plain_connection_warning(false, "db.example.com", "sslmode").unwrap();
        assert!(warning.contains("not encrypted") && warning.contains("sslmode=verify-full"));
        assert!(plain_connection_warning(true, "db.example.com", "sslmode").is_none());
        assert!(plain_connection_warning(false, "127.0.0.1", "ssl-mode").is_none());
        assert!(plain_connection_warning(false, "localhost", "ssl-mode").is_none());
    }
}
