//! Password hashing with argon2id (the crate's defaults: OWASP-recommended parameters). Hashing is
//! CPU-heavy, so callers run it on the blocking pool.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::Rng;
use rand::distr::Alphanumeric;

/// Shortest password accepted anywhere.
pub const MIN_PASSWORD_LEN: usize = 10;
/// Longest password accepted (bounds hashing work per request).
pub const MAX_PASSWORD_LEN: usize = 128;

/// Hashes a password into a PHC string (`$argon2id$v=19$…`).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("failed to hash password: {e}"))?;
    Ok(hash.to_string())
}

/// Checks a password against a stored PHC string. Malformed hashes never verify.
pub fn verify(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Spends the same work as [`verify`] for an unknown user, so response time does not reveal which
/// usernames exist.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("monihub-timing-equaliser").unwrap_or_default());
    let _ = verify(password, phc);
}

/// A random password for the first admin of an embedded install.
pub fn generate() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// Length policy shared by every place that sets a password.
pub fn check_policy(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        Err(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        ))
    } else if len > MAX_PASSWORD_LEN {
        Err(format!(
            "password must be at most {MAX_PASSWORD_LEN} characters"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("wrong horse battery", &phc));
        assert!(!verify("anything", "not-a-hash"));
    }

    #[test]
    fn generated_passwords_meet_the_policy() {
        let a = generate();
        assert!(check_policy(&a).is_ok());
        assert_ne!(a, generate());
    }

    #[test]
    fn policy_bounds() {
        assert!(check_policy("short").is_err());
        assert!(check_policy(&"x".repeat(129)).is_err());
        assert!(check_policy("long-enough-pw").is_ok());
    }
}
