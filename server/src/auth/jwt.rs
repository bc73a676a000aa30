//! HS256 access tokens. A token names its user (`sub`) and its session (`jti`); the session row
//! decides whether the token is still good, so logout and user changes take effect at once.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const ISSUER: &str = "monihub";
/// The issuer of WebSocket tickets: a ticket is never an access token, nor the reverse.
const TICKET_ISSUER: &str = "monihub-ws";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

/// Signing and verification keys derived from the configured secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ticket_validation: Validation,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

impl JwtKeys {
    pub fn new(secret: &SecretString) -> anyhow::Result<Self> {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 5;
        let mut ticket_validation = validation.clone();
        ticket_validation.set_issuer(&[TICKET_ISSUER]);
        Ok(Self {
            encoding: EncodingKey::from_secret(bytes)?,
            decoding: DecodingKey::from_secret(bytes)?,
            validation,
            ticket_validation,
        })
    }

    /// Signs a token for `user` and `session`, valid for `ttl_secs`.
    pub fn issue(&self, user: Uuid, session: Uuid, ttl_secs: i64) -> anyhow::Result<String> {
        self.sign(user, session, ttl_secs, ISSUER)
    }

    /// Signs a short-lived ticket that opens the live-event WebSocket for `session` (browsers
    /// cannot send headers with a WebSocket, so the ticket travels in the URL instead of the
    /// access token).
    pub fn issue_ticket(&self, user: Uuid, session: Uuid, ttl_secs: i64) -> anyhow::Result<String> {
        self.sign(user, session, ttl_secs, TICKET_ISSUER)
    }

    /// Verifies a WebSocket ticket.
    pub fn verify_ticket(&self, ticket: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(ticket, &self.decoding, &self.ticket_validation)
            .ok()
            .map(|data| data.claims)
    }

    fn sign(
        &self,
        user: Uuid,
        session: Uuid,
        ttl_secs: i64,
        issuer: &str,
    ) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            jti: session,
            iat: now,
            exp: now + ttl_secs,
            iss: issuer.into(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, issuer and expiry.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(&SecretString::from(secret)).unwrap()
    }

    #[test]
    fn issued_tokens_verify_with_the_same_key_only() {
        let a = keys("a-secret-that-is-long-enough-000000");
        let b = keys("b-secret-that-is-long-enough-000000");
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let token = a.issue(user, session, 60).unwrap();
        let claims = a.verify(&token).unwrap();
        assert_eq!((claims.sub, claims.jti), (user, session));
        assert!(b.verify(&token).is_none());
        assert!(a.verify("garbage").is_none());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let a = keys("a-secret-that-is-long-enough-000000");
        let token = a.issue(Uuid::new_v4(), Uuid::new_v4(), -60).unwrap();
        assert!(a.verify(&token).is_none());
    }
}
