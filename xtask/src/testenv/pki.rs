//! Certificates and keys for one control-plane run, made with the `openssl` tool: a throw-away
//! CA, the apiserver's serving certificate, an admin client certificate in `system:masters`,
//! and the service-account signing key pair.

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use super::go;

/// Short-lived: a new CA is made on every `up`.
const DAYS: &str = "7";
/// The admin user's name as the apiserver sees it (certificate CN).
pub const ADMIN_USER: &str = "monihub-testenv-admin";

/// Write `ca.{crt,key}`, `apiserver.{crt,key}`, `admin.{crt,key}` and `sa.{key,pub}` into `dir`.
pub fn generate(dir: &Path) -> anyhow::Result<()> {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];

    openssl(dir)
        .args(["req", "-x509"])
        .args(ec)
        .args(["-days", DAYS, "-subj", "/CN=monihub-testenv-ca"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args([
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        ])
        .args(["-keyout", "ca.key", "-out", "ca.crt"])
        .run("the CA")?;

    // rustls checks the SAN, not the CN, so 127.0.0.1 must be an IP SAN.
    issue(
        dir,
        "apiserver",
        "/CN=kube-apiserver",
        &[
            "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc",
            "extendedKeyUsage=serverAuth",
        ],
    )?;
    issue(
        dir,
        "admin",
        &format!("/O=system:masters/CN={ADMIN_USER}"),
        &["extendedKeyUsage=clientAuth"],
    )?;

    // RSA is the one key type every token consumer accepts.
    openssl(dir)
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "sa.key",
        ])
        .run("the service-account key")?;
    openssl(dir)
        .args(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"])
        .run("the service-account public key")?;
    Ok(())
}

/// A key pair and a certificate signed by the CA.
fn issue(dir: &Path, name: &str, subject: &str, extensions: &[&str]) -> anyhow::Result<()> {
    let mut cmd = openssl(dir);
    cmd.args(["req", "-x509", "-CA", "ca.crt", "-CAkey", "ca.key"])
        .args([
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ])
        .args(["-days", DAYS, "-subj", subject])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "keyUsage=critical,digitalSignature"]);
    for ext in extensions {
        cmd.args(["-addext", ext]);
    }
    cmd.arg("-keyout")
        .arg(format!("{name}.key"))
        .arg("-out")
        .arg(format!("{name}.crt"))
        .run(name)
}

fn openssl(dir: &Path) -> Command {
    let mut cmd = Command::new("openssl");
    cmd.current_dir(dir);
    cmd
}

trait Run {
    fn run(&mut self, what: &str) -> anyhow::Result<()>;
}

impl Run for Command {
    fn run(&mut self, what: &str) -> anyhow::Result<()> {
        go::output(self)
            .map(drop)
            .with_context(|| format!("failed to create {what} with openssl"))
    }
}
