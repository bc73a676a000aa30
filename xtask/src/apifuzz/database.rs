//! A fresh, empty database for one fuzz run: a SQLite file in a temporary folder, or a new
//! database on a PostgreSQL server, removed again when dropped.

use std::fmt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::postgres;

/// The databases the server supports, each fuzzed on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        })
    }
}

/// A database that exists until this value is dropped.
pub struct FreshDatabase {
    url: String,
    owner: Owner,
}

enum Owner {
    /// The folder holding the SQLite file; deleting it deletes the database.
    Folder { _folder: tempfile::TempDir },
    /// A database created on a PostgreSQL server through its maintenance database.
    Postgres { admin_url: String, name: String },
}

impl FreshDatabase {
    /// Create an empty database. `postgres_admin_url` names a maintenance database whose user may
    /// create databases; it is only needed for [`Backend::Postgres`].
    pub fn create(backend: Backend, postgres_admin_url: Option<&str>) -> anyhow::Result<Self> {
        match backend {
            Backend::Sqlite => {
                let folder = tempfile::Builder::new()
                    .prefix("monihub-apifuzz-")
                    .tempdir()?;
                let url = format!("sqlite://{}/fuzz.db?mode=rwc", folder.path().display());
                Ok(Self {
                    url,
                    owner: Owner::Folder { _folder: folder },
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url
                    .context("fuzzing on PostgreSQL needs the URL of a PostgreSQL server")?;
                let name = format!("monihub_apifuzz_{}", std::process::id());
                let url = sibling_database_url(admin_url, &name)?;
                psql(
                    admin_url,
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                )?;
                psql(admin_url, &format!("CREATE DATABASE \"{name}\""))
                    .context("failed to create the fuzz database")?;
                Ok(Self {
                    url,
                    owner: Owner::Postgres {
                        admin_url: admin_url.to_string(),
                        name,
                    },
                })
            }
        }
    }

    /// The URL the server connects with (`MONIHUB_DATABASE_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let Owner::Postgres { admin_url, name } = &self.owner {
            // FORCE: a server that was just killed may still hold a connection for a moment.
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            if let Err(e) = psql(admin_url, &sql) {
                eprintln!("failed to drop the fuzz database {name}: {e:#}");
            }
        }
    }
}

/// The URL of database `name` on the server `admin_url` points at, keeping user, host and
/// query parameters: `postgres://u@h:5432/postgres?sslmode=disable` → `…/name?sslmode=disable`.
fn sibling_database_url(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let (location, query) = match admin_url.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (admin_url, None),
    };
    let Some(authority_start) = location.find("://").map(|i| i + 3) else {
        bail!("the PostgreSQL URL has no scheme (expected postgres://…)");
    };
    let server = match location[authority_start..].find('/') {
        Some(slash) => &location[..authority_start + slash],
        None => location,
    };
    Ok(match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    })
}

/// Run one SQL statement through `psql`. The URL may carry a password, so neither it nor the
/// command line is ever part of an error message.
fn psql(admin_url: &str, sql: &str) -> anyhow::Result<()> {
    let out = Command::new(psql_binary())
        .args(["--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(admin_url)
        .args(["-c", sql])
        .stdin(Stdio::null())
        .output()
        .context("failed to run psql (install the PostgreSQL client)")?;
    if !out.status.success() {
        bail!(
            "psql failed ({}) running {sql:?}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The client next to the newest installed server, else `psql` from PATH.
fn psql_binary() -> PathBuf {
    postgres::find_bin_dir()
        .map(|bin| bin.join("psql"))
        .filter(|psql| psql.is_file())
        .unwrap_or_else(|| PathBuf::from("psql"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sibling_url_replaces_only_the_database() {
        assert_eq!(
            sibling_database_url("postgres://postgres@127.0.0.1:5432/postgres", "fuzz").unwrap(),
            "postgres://postgres@127.0.0.1:5432/fuzz"
        );
        assert_eq!(
            sibling_database_url("postgres://u:p%2Fw@db:5432/maint?sslmode=disable", "fuzz")
                .unwrap(),
            "postgres://u:p%2Fw@db:5432/fuzz?sslmode=disable"
        );
    }

    #[test]
    fn sibling_url_without_a_database_gets_one() {
        assert_eq!(
            sibling_database_url("postgresql://postgres@localhost", "fuzz").unwrap(),
            "postgresql://postgres@localhost/fuzz"
        );
    }

    #[test]
    fn sibling_url_needs_a_scheme() {
        assert!(sibling_database_url("localhost:5432/postgres", "fuzz").is_err());
    }
}
