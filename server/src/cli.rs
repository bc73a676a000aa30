//! The command line: `serve`, `migrate {up,down,status}`, `create-admin`, `probe`, `openapi`,
//! `version`.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};

use crate::audit::Actor;
use crate::auth::{Hasher, password};
use crate::config::{self, Mode, Settings};
use crate::db;
use crate::startup::Server;
use crate::telemetry;
use crate::users::bootstrap::{self, Bootstrap};

#[derive(Debug, Parser)]
#[command(name = "monihub-server", version, about = "MoniHub API server")]
pub struct Cli {
    /// Optional TOML configuration file; `MONIHUB_*` variables override it.
    #[arg(long, global = true, env = "MONIHUB_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (and, in embedded mode, the console).
    Serve {
        /// Apply pending migrations before serving (embedded and development use; in clusters the
        /// operator's migration job does this).
        #[arg(long)]
        migrate: bool,
    },
    /// Manage the database schema.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Create an admin user. The password is read from standard input (or
    /// `MONIHUB_ADMIN_PASSWORD`); without either, a random one is generated and printed once.
    CreateAdmin {
        #[arg(long, default_value = bootstrap::DEFAULT_ADMIN_USERNAME)]
        username: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Ask the local server whether it is ready (exit code 0) or not (1): a health check for
    /// container runtimes, in images that have no shell or HTTP client.
    Probe {
        /// The server's listen address; a wildcard host is probed on loopback.
        #[arg(long, env = "MONIHUB_BIND", default_value = "0.0.0.0:9080")]
        bind: String,
        /// The probe path.
        #[arg(long, default_value = "/readyz")]
        path: String,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Print the version.
    Version,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Apply every pending migration.
    Up,
    /// Roll back migrations.
    Down {
        /// How many to roll back (default: one).
        #[arg(long, default_value_t = 1)]
        steps: u32,
        /// Roll back every migration (drops all MoniHub tables).
        #[arg(long, conflicts_with = "steps")]
        all: bool,
    },
    /// Show which migrations are applied.
    Status,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Version => {
            println!("monihub-server {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Openapi => {
            println!("{}", crate::openapi::document().to_pretty_json()?);
            Ok(())
        }
        Command::Probe { bind, path } => crate::probe::probe(&bind, &path),
        Command::Serve { migrate } => serve(load(cli.config.as_deref())?, migrate).await,
        Command::Migrate(cmd) => migrate_command(load(cli.config.as_deref())?, cmd).await,
        Command::CreateAdmin {
            username,
            password_stdin,
        } => create_admin(load(cli.config.as_deref())?, &username, password_stdin).await,
    }
}

fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
    let settings = Settings::load(file, &[])?;
    telemetry::init(settings.log_format, &settings.log_level);
    Ok(settings)
}

async fn connect(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    db::connect(
        &settings.database_url(),
        settings.database_max_connections,
        settings.database_idle_timeout,
    )
    .await
}

async fn serve(settings: Settings, migrate: bool) -> anyhow::Result<()> {
    let jwt_secret = resolve_jwt_secret(&settings)?;
    if migrate {
        let migrator =
            db::connect_for_migrations(&settings.database_url(), settings.database_idle_timeout)
                .await?;
        db::migrate_up(&migrator)
            .await
            .context("failed to apply migrations")?;
        migrator.close().await?;
        tracing::info!("database schema is current");
    }
    let db = connect(&settings).await?;
    let pending = db::pending_migrations(&db).await.unwrap_or_default();
    if pending.is_empty() {
        bootstrap_admin(&db, &settings).await;
        if let Some(token) = &settings.cluster_agent_token {
            // Never fatal, like the admin: the API serves either way.
            match crate::applications::cluster::ensure(&db, token).await {
                Ok(outcome) => tracing::info!(
                    ?outcome,
                    "the Cluster nodes application accepts the cluster agent token"
                ),
                Err(e) => {
                    tracing::error!(error = %e, "failed to set up the Cluster nodes application")
                }
            }
        }
    } else {
        tracing::warn!(
            pending = pending.join(","),
            "migrations are pending: the server reports not ready until they are applied"
        );
    }
    let server = Server::build(settings.clone(), db, &jwt_secret)?;
    tracing::info!(
        port = server.port(),
        mode = ?settings.mode,
        "MoniHub is listening"
    );
    if settings.mode == Mode::Embedded {
        println!("MoniHub is running at http://localhost:{}", server.port());
    }
    server.run_until_stopped().await?;
    Ok(())
}

/// Creates the first admin if there is none and the settings allow it. Never fatal: a server that
/// cannot create an admin still serves (and a restarted replica must not crash-loop over it).
async fn bootstrap_admin(db: &sea_orm::DatabaseConnection, settings: &Settings) {
    let outcome = bootstrap::ensure_first_admin(
        db,
        &Hasher::for_cli(),
        settings.admin_password.as_ref(),
        settings.mode == Mode::Embedded,
    )
    .await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(err) => {
            tracing::error!(error = %err, "failed to create the first admin; serving without one");
            return;
        }
    };
    match outcome {
        Bootstrap::AdminExists => {}
        Bootstrap::Created { username } => {
            tracing::info!(
                username,
                "created the first admin from MONIHUB_ADMIN_PASSWORD"
            );
        }
        Bootstrap::Generated { username, password } => {
            // Printed, not logged: it must not end up in log storage.
            println!(
                "\n  First admin created. Sign in as '{username}' with password: {}\n  It is shown only this once; change it after signing in.\n",
                password.expose_secret()
            );
        }
        Bootstrap::Missing => tracing::warn!(
            "no admin exists: set MONIHUB_ADMIN_PASSWORD or run `monihub-server create-admin`"
        ),
        Bootstrap::NameTaken { username } => tracing::warn!(
            username,
            "no active admin exists, and a user with the first admin's name exists but is not an \
             active admin; MoniHub leaves that user alone: run `monihub-server create-admin \
             --username <another name>`"
        ),
    }
}

/// The JWT key: configured, or (embedded mode only) generated once and kept beside the database.
fn resolve_jwt_secret(settings: &Settings) -> anyhow::Result<SecretString> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.clone());
    }
    if settings.mode != Mode::Embedded {
        bail!("MONIHUB_JWT_SECRET is required in production mode");
    }
    let url = settings.database_url();
    match config::sqlite_file(url.expose_secret()) {
        Some(db_file) => load_or_create_secret(&secret_file_for(&db_file)),
        None => Ok(SecretString::from(
            password::generate() + &password::generate(),
        )),
    }
}

fn secret_file_for(db_file: &Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".jwt-secret");
    PathBuf::from(name)
}

fn load_or_create_secret(path: &Path) -> anyhow::Result<SecretString> {
    if path.exists() {
        let secret = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read {}", path.display()))?;
        let secret = secret.trim().to_owned();
        if secret.len() < config::MIN_JWT_SECRET_LEN {
            bail!("{} holds a key shorter than 32 bytes", path.display());
        }
        return Ok(SecretString::from(secret));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let secret = password::generate() + &password::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("failed to create {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    tracing::info!(file = %path.display(), "generated the embedded-mode token signing key");
    Ok(SecretString::from(secret))
}

async fn migrate_command(settings: Settings, cmd: MigrateCommand) -> anyhow::Result<()> {
    let db = db::connect_for_migrations(&settings.database_url(), settings.database_idle_timeout)
        .await?;
    match cmd {
        MigrateCommand::Up => {
            db::migrate_up(&db)
                .await
                .context("failed to apply migrations")?;
            println!("migrations applied; the schema is current");
        }
        MigrateCommand::Down { steps, all } => {
            let steps = if all { None } else { Some(steps) };
            db::migrate_down(&db, steps)
                .await
                .context("failed to roll back migrations")?;
            println!("migrations rolled back");
        }
        MigrateCommand::Status => {
            for (name, applied) in db::migration_status(&db).await? {
                println!("{} {name}", if applied { "applied" } else { "pending" });
            }
        }
    }
    Ok(())
}

async fn create_admin(
    settings: Settings,
    username: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let (password, generated) = if password_stdin {
        let mut input = String::new();
        if std::io::stdin().is_terminal() {
            eprint!("Password for '{username}': ");
        }
        std::io::stdin().read_to_string(&mut input)?;
        (
            SecretString::from(input.trim_end_matches(['\r', '\n']).to_owned()),
            false,
        )
    } else if let Some(pw) = &settings.admin_password {
        (pw.clone(), false)
    } else {
        (SecretString::from(password::generate()), true)
    };
    let db = connect(&settings).await?;
    if !db::pending_migrations(&db).await?.is_empty() {
        bail!("the database schema is not current: run `monihub-server migrate up` first");
    }
    bootstrap::create_admin(
        &db,
        &Hasher::for_cli(),
        username,
        &password,
        &Actor::system("cli"),
    )
    .await
    .map_err(|e| match e {
        crate::error::ApiError::Validation(errors) => anyhow::anyhow!(
            "invalid admin: {}",
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("failed to create the admin: {other}"),
    })?;
    if generated {
        println!(
            "admin '{username}' created with password: {}\n(shown only this once)",
            password.expose_secret()
        );
    } else {
        println!("admin '{username}' created");
    }
    Ok(())
}
