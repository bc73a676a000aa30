//! Agent tokens: 256 random bits, shown once, stored as a SHA-256 hash. A fast hash is right here
//! (unlike passwords) because the token has full entropy and must be checked on every report.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every agent token starts with this, so leaked tokens are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "mhat_";
/// Characters of the token kept in clear to tell tokens apart.
const VISIBLE_CHARS: usize = 12;

/// A freshly generated token.
#[derive(Debug)]
pub struct NewToken {
    pub token: String,
    pub hash: String,
    pub prefix: String,
}

pub fn generate() -> NewToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    NewToken {
        hash: hash(&token),
        prefix: token.chars().take(VISIBLE_CHARS).collect(),
        token,
    }
}

/// Hex SHA-256 of a token, as stored.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hashed() {
        let a = generate();
        let b = generate();
        assert_ne!(a.token, b.token);
        assert!(a.token.starts_with(TOKEN_PREFIX));
        assert_eq!(a.token.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(a.hash, hash(&a.token));
        assert_eq!(a.hash.len(), 64);
        assert!(a.token.starts_with(&a.prefix));
    }
}
