//! Database connection, migrations and the built-in rows the server relies on.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, Set, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};

use crate::auth::Role;
use crate::entity::roles;

/// How long a SQLite writer waits for another writer's lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a pool. Every SQLite connection gets WAL journaling (readers never block the writer),
/// foreign keys and a busy timeout, so concurrent writers queue instead of failing.
pub async fn connect(
    url: &SecretString,
    max_connections: u32,
    idle_timeout: Duration,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.expose_secret().to_owned());
    options
        .max_connections(max_connections)
        .min_connections(0)
        .idle_timeout(idle_timeout)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
        });
    let db = Database::connect(options).await.map_err(|e| {
        let message = redact_url(&e.to_string(), url.expose_secret());
        anyhow::anyhow!("failed to connect to the database: {message}")
    })?;
    Ok(db)
}

/// Removes the database URL and its password from a message (drivers quote a malformed URL in
/// their errors, password included).
fn redact_url(message: &str, url: &str) -> String {
    let mut message = message.replace(url, "<MONIHUB_DATABASE_URL>");
    let authority = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let password = authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password)
        .unwrap_or_default();
    if !password.is_empty() {
        let decoded: String = form_urlencoded::parse(format!("p={password}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        for form in [password, decoded.as_str()] {
            if !form.is_empty() {
                message = message.replace(form, "***");
            }
        }
    }
    message
}

/// Starts a transaction that will write.
///
/// On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`): a deferred transaction that
/// reads and then writes cannot wait for the lock and fails with "database is locked" when another
/// writer got there first. On PostgreSQL it is an ordinary `BEGIN`.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    #[allow(clippy::disallowed_methods)] // this is the one place that may start transactions
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Takes a PostgreSQL advisory lock for the rest of the transaction if it is free: `false` means
/// another session holds it. On SQLite the write transaction is already exclusive: always `true`.
pub async fn try_advisory_xact_lock(
    txn: &DatabaseTransaction,
    key: i64,
) -> Result<bool, sea_orm::DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1) AS locked",
            [key.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<bool>("", "locked")?,
        None => false,
    })
}

/// What a process does with a PostgreSQL channel it listens to (see [`spawn_channel_listener`]).
pub trait ChannelHandler: Send + 'static {
    /// Listening (again). Anything sent while not listening was missed.
    fn listening(&mut self) {}
    /// A notification's payload.
    fn message(&mut self, payload: &str);
    /// Not listening (the connection failed or was lost); listening resumes after a backoff.
    fn lost(&mut self) {}
}

/// On PostgreSQL, listens to `channel` for as long as the runtime lives, reconnecting with
/// backoff (0.2 s, doubling up to 10 s). Nothing to do on SQLite (one process).
pub fn spawn_channel_listener<H: ChannelHandler>(
    db: &DatabaseConnection,
    channel: &'static str,
    mut handler: H,
) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    const FIRST_BACKOFF: Duration = Duration::from_millis(200);
    let pool = db.get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        loop {
            match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut listener) => match listener.listen(channel).await {
                    Ok(()) => {
                        backoff = FIRST_BACKOFF;
                        handler.listening();
                        loop {
                            match listener.recv().await {
                                Ok(message) => handler.message(message.payload()),
                                Err(err) => {
                                    tracing::warn!(channel, error = %err, "lost the connection listening to a channel");
                                    break;
                                }
                            }
                        }
                    }
                    Err(err) => {
                        tracing::warn!(channel, error = %err, "failed to listen to a channel")
                    }
                },
                Err(err) => {
                    tracing::warn!(channel, error = %err, "failed to connect a channel listener")
                }
            }
            handler.lost();
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    });
}

/// Names of the migrations not yet applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, sea_orm::DbErr> {
    Ok(Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// Every known migration with whether it is applied, in order.
pub async fn migration_status(
    db: &DatabaseConnection,
) -> Result<Vec<(String, bool)>, sea_orm::DbErr> {
    let pending = pending_migrations(db).await?;
    Ok(Migrator::migrations()
        .iter()
        .map(|m| {
            let name = m.name().to_owned();
            let applied = !pending.contains(&name);
            (name, applied)
        })
        .collect())
}

/// Applies pending migrations, then makes sure the role catalogue rows exist.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    Migrator::up(db, None).await?;
    ensure_roles(db).await
}

/// A connection for running migrations: a pool of exactly one, so every schema change is made
/// and seen on the same SQLite connection. (SQLite checks a new table's or index's name against
/// the connection's cached schema while parsing; a pooled connection that has not seen another
/// connection's `DROP` would refuse a `CREATE` of the same name, or the other way round.)
pub async fn connect_for_migrations(
    url: &SecretString,
    idle_timeout: Duration,
) -> anyhow::Result<DatabaseConnection> {
    connect(url, 1, idle_timeout).await
}

/// Rolls back `steps` migrations (all if `None`).
pub async fn migrate_down(
    db: &DatabaseConnection,
    steps: Option<u32>,
) -> Result<(), sea_orm::DbErr> {
    Migrator::down(db, steps).await
}

/// Inserts missing built-in roles; never changes or removes existing rows.
pub async fn ensure_roles(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let rows = Role::ALL.into_iter().map(|role| roles::ActiveModel {
        name: Set(role.as_str().to_owned()),
        description: Set(role.description().to_owned()),
    });
    roles::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([roles::Column::Name])
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_removes_url_and_password() {
        let url = "postgres://monihub:s3cr%40t-pw@db:notaport/monihub";
        let message = format!("invalid port in {url}; password s3cr@t-pw and s3cr%40t-pw");
        let redacted = redact_url(&message, url);
        assert!(!redacted.contains("s3cr"), "{redacted}");
        assert!(redacted.contains("<MONIHUB_DATABASE_URL>"), "{redacted}");
        assert_eq!(
            redact_url("no secrets here", "sqlite://x.db"),
            "no secrets here"
        );
    }

    /// The drivers' own error for a malformed URL must not reach the log with the password.
    #[tokio::test]
    async fn a_malformed_url_is_reported_without_its_password() {
        for url in [
            "postgres://monihub:hunter2-secret@db:notaport/monihub",
            "postgres://monihub:hunter2-secret@[::1/monihub",
            "postgres://monihub:hunter2-secret@db:5432/monihub?sslmode=bogus",
            "mysqlx://monihub:hunter2-secret@db/monihub",
        ] {
            let err = connect(&SecretString::from(url), 1, Duration::from_secs(1))
                .await
                .expect_err("a malformed URL must fail");
            let shown = format!("{err:#} {err:?}");
            assert!(!shown.contains("hunter2"), "{url}: {shown}");
        }
    }
}
