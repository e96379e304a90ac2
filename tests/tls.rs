//! TLS against the real servers of `scripts/test.sh`, which accept TLS
//! only (MariaDB `require_secure_transport=ON`, PostgreSQL `hostssl` rules)
//! with a certificate from a throwaway CA (`TOKENSTORE_TEST_CA`).
mod common;

use common::TestEnv;

/// Each server's base URI without options, with the names of its TLS
/// options and of its "no TLS" mode.
fn servers() -> Vec<(String, &'static str, &'static str, &'static str)> {
    let mut all = Vec::new();
    if let Some(uri) = common::mysql_base_uri() {
        all.push((uri, "ssl-mode", "ssl-ca", "disabled"));
    }
    if let Some(uri) = common::pg_base_uri() {
        all.push((uri, "sslmode", "sslrootcert", "disable"));
    }
    all.into_iter()
        .map(|(uri, mode, ca, off)| {
            let base = uri.split_once('?').map_or(uri.as_str(), |(b, _)| b);
            (base.to_string(), mode, ca, off)
        })
        .collect()
}

/// The CAs of `scripts/test.sh`: the one that signed the servers'
/// certificates, and an unrelated one.
fn cas() -> Option<(String, String)> {
    match (
        std::env::var("TOKENSTORE_TEST_CA"),
        std::env::var("TOKENSTORE_TEST_WRONG_CA"),
    ) {
        (Ok(ca), Ok(wrong)) => Some((ca, wrong)),
        _ if servers().is_empty() => None,
        _ => {
            common::cannot_run_here(
                "TOKENSTORE_TEST_CA is not set: run the suite with `bash scripts/test.sh`",
            );
            None
        }
    }
}

#[test]
fn required_and_verify_full_connect_encrypted() {
    let Some((ca, _)) = cas() else {
        return;
    };
    let env = TestEnv::new();
    for (base, mode, ca_option, _) in servers() {
        for options in [
            format!("{mode}=required"),
            format!("{mode}=verify-ca&{ca_option}={ca}"),
            format!("{mode}=verify-full&{ca_option}={ca}"),
        ] {
            let uri = format!("{base}?{options}&table={}", common::unique_table("tls"));
            env.save_user(&uri, "alice", "a");
            let info = env.run(&["--store", &uri, "info"]).ok();
            assert!(
                info.contains("tls:      encrypted (TLSv1."),
                "{uri}: {info}"
            );
            assert!(info.contains("tokens:   1"), "{uri}: {info}");
        }
        // verify-full checks the name: the certificate is for 127.0.0.1
        // and localhost, so both names connect.
        let by_name = base.replace("127.0.0.1", "localhost");
        let uri = format!("{by_name}?{mode}=verify-full&{ca_option}={ca}");
        env.run(&["--store", &uri, "info"]).ok();
    }
}

#[test]
fn a_certificate_from_another_ca_is_refused_clearly() {
    let Some((_, wrong)) = cas() else {
        return;
    };
    let env = TestEnv::new();
    for (base, mode, ca_option, _) in servers() {
        for check in ["verify-ca", "verify-full"] {
            let uri = format!("{base}?{mode}={check}&{ca_option}={wrong}");
            let err = env.run(&["--store", &uri, "list"]).fails(1);
            assert!(
                err.contains(
                    "the server's TLS certificate is not signed by a CA tokenstore trusts"
                ) && err.contains(&format!("{ca_option}=PATH")),
                "{uri}: {err}"
            );
            assert!(
                !err.contains("Error {") && !err.contains("InvalidCertificate"),
                "{err}"
            );
        }
        // No CA file: the built-in public roots do not know the test CA.
        let uri = format!("{base}?{mode}=verify-full");
        let err = env.run(&["--store", &uri, "list"]).fails(1);
        assert!(
            err.contains("not signed by a CA tokenstore trusts"),
            "{err}"
        );
    }
}

#[test]
fn a_server_that_requires_tls_refuses_disabled_clearly() {
    if cas().is_none() {
        return;
    }
    let env = TestEnv::new();
    for (base, mode, _, off) in servers() {
        let uri = format!("{base}?{mode}={off}");
        let err = env.run(&["--store", &uri, "list"]).fails(1);
        let expected = if mode == "sslmode" {
            "the server refuses connections without TLS"
        } else {
            // MariaDB answers as if the password were wrong.
            "the connection was not encrypted, and a server that requires TLS refuses it"
        };
        assert!(err.contains(expected), "{uri}: {err}");
        assert!(err.contains(&format!("{mode}=require")), "{uri}: {err}");
        // On loopback, no mode named means plain TCP, refused the same way.
        let err = env.run(&["--store", &base, "list"]).fails(1);
        assert!(err.contains(expected), "{base}: {err}");
    }
}

#[test]
fn a_ca_file_that_is_not_there_or_not_pem_is_named() {
    let env = TestEnv::new();
    let not_pem = env.path("ca.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    for (base, mode, ca_option, _) in servers() {
        let missing = env.path("missing.pem");
        let uri = format!(
            "{base}?{mode}=verify-full&{ca_option}={}",
            missing.display()
        );
        let err = env.run(&["--store", &uri, "list"]).fails(1);
        assert!(
            err.contains(&format!("cannot read the CA file {}", missing.display())),
            "{err}"
        );
        if mode == "sslmode" {
            let uri = format!(
                "{base}?{mode}=verify-full&{ca_option}={}",
                not_pem.display()
            );
            let err = env.run(&["--store", &uri, "list"]).fails(1);
            assert!(err.contains("holds no PEM certificate"), "{err}");
        }
    }
}
