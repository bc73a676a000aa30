//! A throwaway PostgreSQL server for the API tests: the distribution's binaries (installed with
//! apt when missing), a fresh cluster in a temporary folder, listening on 127.0.0.1 and a free
//! port, stopped and deleted when dropped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::util::{free_port, run_cmd, step};

/// A running throwaway cluster.
pub struct TestPostgres {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    port: u16,
    as_postgres_user: bool,
    _root: tempfile::TempDir,
}

impl TestPostgres {
    /// Superuser URL of the maintenance database; tests create their own databases from it.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Installs (if needed), initialises and starts a cluster.
    pub fn start() -> anyhow::Result<Self> {
        let bin_dir = match find_bin_dir() {
            Some(dir) => dir,
            None => {
                crate::util::apt_install(&["postgresql"])?;
                find_bin_dir().context("PostgreSQL was installed but initdb is still missing")?
            }
        };
        let as_postgres_user = crate::util::is_root();
        let root = tempfile::Builder::new().prefix("monihub-pg-").tempdir()?;
        let data_dir = root.path().join("data");
        let socket_dir = root.path().join("socket");
        fs::create_dir_all(&data_dir)?;
        fs::create_dir_all(&socket_dir)?;
        if as_postgres_user {
            // PostgreSQL refuses to run as root; hand the folder to the `postgres` account.
            run_cmd(Command::new("chmod").arg("755").arg(root.path()))?;
            run_cmd(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(root.path()),
            )?;
        }
        let port = free_port()?;
        let pg = Self {
            bin_dir,
            data_dir,
            port,
            as_postgres_user,
            _root: root,
        };
        step(&format!(
            "starting a throwaway PostgreSQL on 127.0.0.1:{port}"
        ));
        pg.run(
            "initdb",
            &[
                "-D",
                path_str(&pg.data_dir)?,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 \
             -c shared_preload_libraries=pg_stat_statements",
            path_str(&socket_dir)?
        );
        let log = pg.data_dir.join("server.log");
        pg.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&pg.data_dir)?,
                "-o",
                &options,
                "-l",
                path_str(&log)?,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        .with_context(|| format!("PostgreSQL did not start; see {}", log.display()))?;
        Ok(pg)
    }

    /// The text of a one-value query, run with `psql` against `database_url`.
    pub fn query_value(&self, database_url: &str, sql: &str) -> anyhow::Result<String> {
        let output = Command::new(self.bin_dir.join("psql"))
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                database_url,
                "-c",
                sql,
            ])
            .output()
            .context("failed to run psql")?;
        if !output.status.success() {
            bail!(
                "psql failed on {sql:?}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let binary = self.bin_dir.join(tool);
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        cmd.args(args).stdout(std::process::Stdio::null());
        run_cmd(&mut cmd)
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        if let Ok(data) = path_str(&self.data_dir) {
            let _ = self.run("pg_ctl", &["-D", data, "-m", "immediate", "-w", "stop"]);
        }
    }
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str().context("non-UTF-8 path")
}

/// The newest `/usr/lib/postgresql/<v>/bin` holding initdb.
pub fn find_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}
