//! Secrets never leave the host unredacted, and never reach the database if an agent forgets:
//! both sides apply [`redact_environment`].

use std::collections::BTreeMap;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Words that mark a variable as secret (compared case-insensitively, on `_`/`-`/`.` separated
/// words: `API_KEY`, `AWS_SECRET_ACCESS_KEY`, `MYSQL_PWD`, `SENTRY_DSN` …).
const SECRET_WORDS: [&str; 15] = [
    "PASSWORD",
    "PASSWD",
    "PWD",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "AUTH",
    "COOKIE",
    "SESSION",
    "PRIVATE",
    "DSN",
    "KEY",
    "APIKEY",
    "ACCESSKEY",
];

/// True if a variable of this name probably holds a secret.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // The shell's working directories, not passwords.
    if upper == "PWD" || upper == "OLDPWD" {
        return false;
    }
    let words: Vec<&str> = upper
        .split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().any(|w| SECRET_WORDS.contains(w))
        || ["PASSWORD", "SECRET", "TOKEN", "APIKEY"]
            .iter()
            .any(|part| upper.replace(['_', '-', '.'], "").contains(part))
}

/// The value with the password of any `scheme://user:password@host` URL in it replaced.
fn redact_url_passwords(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after.find(['/', '?', '#', ' ']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(at_sign) => {
                let userinfo = &authority[..at_sign];
                match userinfo.split_once(':') {
                    Some((user, _password)) => {
                        out.push_str(user);
                        out.push(':');
                        out.push_str(REDACTED);
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at_sign..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

/// The environment with secret-looking values replaced by [`REDACTED`] and passwords inside URLs
/// removed.
pub fn redact_environment(environment: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    environment
        .iter()
        .map(|(name, value)| {
            let value = if looks_secret(name) {
                REDACTED.to_owned()
            } else {
                redact_url_passwords(value)
            };
            (name.clone(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_recognised() {
        for name in [
            "PASSWORD",
            "db_password",
            "MYSQL_PWD",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID",
            "GITHUB_TOKEN",
            "api-key",
            "STRIPE_APIKEY",
            "SIGNING_KEY",
            "SENTRY_DSN",
            "SESSION_COOKIE",
            "app.auth.header",
            "private_key_path",
            "MONIHUB_AGENT_TOKEN",
            "MyServiceSecret",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "PATH",
            "HOME",
            "LANG",
            "JAVA_HOME",
            "HOSTNAME",
            "KEYBOARD",
            "MONKEY",
            "PWD",
            "OLDPWD",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn values_are_redacted() {
        let env: BTreeMap<String, String> = [
            ("DB_PASSWORD", "hunter2"),
            (
                "DATABASE_URL",
                "postgres://app:hunter2@db:5432/app?sslmode=require",
            ),
            (
                "UPSTREAMS",
                "http://a:pw1@x/ , https://plain.example/ redis://:pw2@cache:6379",
            ),
            ("PATH", "/usr/bin:/bin"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let redacted = redact_environment(&env);
        assert_eq!(redacted["DB_PASSWORD"], REDACTED);
        assert_eq!(
            redacted["DATABASE_URL"],
            "postgres://app:[redacted]@db:5432/app?sslmode=require"
        );
        assert_eq!(
            redacted["UPSTREAMS"],
            "http://a:[redacted]@x/ , https://plain.example/ redis://:[redacted]@cache:6379"
        );
        assert_eq!(redacted["PATH"], "/usr/bin:/bin");
        assert!(!format!("{redacted:?}").contains("hunter2"));
        assert!(!format!("{redacted:?}").contains("pw1"));
    }
}
