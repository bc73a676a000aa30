//! `cargo xtask console-e2e`: the console's browser specs (`frontend/e2e/`) against the real
//! stack — the server on PostgreSQL, behind Debian's nginx with the very site the images and the
//! operator use (`docker/nginx.conf`, `docker/nginx-main.conf`), on loopback ports. When the specs
//! issue an agent token, simulated agents start with it (straight to the server, as agents do
//! not go through the console): 20 that report every 5 s, for the live updates, and a quiet fleet
//! of 10,000 that the instance page's scrolling is measured with. Screenshots, the accessibility
//! findings and the measurements land in `target/artifacts/console/`.

use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::apifuzz::database::{Backend, FreshDatabase};
use crate::apifuzz::server::{self, RunningServer, Secrets};
use crate::postgres::TestPostgres;
use crate::util::{ensure_packages, free_port, run_cmd, step, workspace_root};

/// The quiet fleet the instance table is scrolled with.
pub const QUIET_FLEET: u32 = 10_000;

#[derive(clap::Args)]
pub struct ConsoleE2eArgs {
    /// Size of the quiet fleet for the instance table's scrolling measurement.
    #[arg(long, default_value_t = QUIET_FLEET)]
    pub fleet: u32,
}

pub fn console_e2e(args: ConsoleE2eArgs) -> anyhow::Result<()> {
    let postgres = TestPostgres::start()?;
    run(&postgres.url(), args.fleet)
}

/// The specs against a fresh database on `postgres_url` (a maintenance database whose user may
/// create databases).
pub fn run(postgres_url: &str, fleet: u32) -> anyhow::Result<()> {
    ensure_packages("nginx", &["nginx-light"])?;
    ensure_packages("chromium", &["chromium"])?;
    let root = workspace_root();
    let frontend = root.join("frontend");
    let artifacts = root.join("target/artifacts/console");
    if artifacts.exists() {
        std::fs::remove_dir_all(&artifacts)?;
    }
    std::fs::create_dir_all(&artifacts)?;
    if !frontend.join("dist/index.html").is_file() {
        crate::console::install()?;
        step("building the console");
        run_cmd(
            Command::new("npm")
                .args(["run", "--silent", "build"])
                .current_dir(&frontend),
        )?;
    }

    let binary = server::build()?;
    let database = FreshDatabase::create(Backend::Postgres, Some(postgres_url))?;
    let secrets = Secrets::generate()?;
    step("starting the server on PostgreSQL");
    let mut server = RunningServer::start_with(
        &binary,
        database.url(),
        &secrets,
        &artifacts.join("server.log"),
        // nginx on loopback is the only proxy: per-client throttling sees the browser's address.
        &[
            ("MONIHUB_TRUSTED_PROXIES", "127.0.0.1/32"),
            ("MONIHUB_OFFLINE_AFTER", "30s"),
        ],
    )?;
    server.wait_ready()?;
    let nginx = Nginx::start(&server.base_url(), &frontend.join("dist"), &artifacts)?;
    step(&format!(
        "the console is on {} (nginx with docker/nginx.conf)",
        nginx.base_url()
    ));

    let token_file = artifacts.join("agent-token.txt");
    let server_url = server.base_url();
    let specs_done = Arc::new(AtomicBool::new(false));
    let done = specs_done.clone();
    let simulators =
        std::thread::spawn(move || start_simulators(&token_file, &server_url, fleet, &done));

    step("running the console's browser specs (Chromium, headless)");
    let specs = run_cmd(
        Command::new("npm")
            .args(["run", "--silent", "e2e"])
            .current_dir(&frontend)
            .env("MONIHUB_E2E_BASE_URL", nginx.base_url())
            .env("MONIHUB_E2E_ADMIN_PASSWORD", &secrets.admin_password)
            .env("MONIHUB_E2E_ARTIFACTS", &artifacts)
            .env("MONIHUB_E2E_PERF_INSTANCES", fleet.to_string()),
    );
    specs_done.store(true, Ordering::Release);
    let simulators = simulators
        .join()
        .map_err(|_| anyhow::anyhow!("the simulator thread panicked"))?;
    let mut simulators = match (specs, simulators) {
        (Ok(()), Ok(children)) => children,
        (Err(e), children) => {
            if let Ok(children) = children {
                stop(children);
            }
            eprintln!(
                "    screenshots and logs are in {}; the server's last lines:\n{}",
                artifacts.display(),
                server.log_tail(20)
            );
            return Err(e);
        }
        (Ok(()), Err(e)) => return Err(e),
    };
    for child in &mut simulators {
        if let Some(status) = child.try_wait()?
            && !status.success()
        {
            bail!(
                "a simulator failed ({status}); see its log in {}",
                artifacts.display()
            );
        }
    }
    stop(simulators);
    server.ensure_running()?;
    step(&format!(
        "console end-to-end specs passed; artifacts in {}",
        artifacts.display()
    ));
    Ok(())
}

/// Waits for the specs to write the agent token and starts 20 live agents with it; then, when
/// the specs ask for it (`fleet-wanted.txt`), the quiet fleet: agents that report once a minute
/// and poll no tasks.
fn start_simulators(
    token_file: &Path,
    server: &str,
    fleet: u32,
    specs_done: &AtomicBool,
) -> anyhow::Result<Vec<Child>> {
    let dir = token_file.parent().context("artifacts folder")?;
    let Some(token) = wait_for_file(token_file, specs_done) else {
        // The specs failed before issuing a token; they report why.
        return Ok(Vec::new());
    };
    let exe = std::env::current_exe()?;
    let simulator = |name: &str, instances: u32, interval: &str, extra: &[&str]| {
        let log = std::fs::File::create(dir.join(format!("simulator-{name}.log")))?;
        anyhow::Ok(
            Command::new(&exe)
                .args(["simulate", "--server", server, "--instances"])
                .arg(instances.to_string())
                .args([
                    "--interval",
                    interval,
                    "--duration",
                    "15m",
                    "--prefix",
                    name,
                ])
                .args(extra)
                .env("MONIHUB_AGENT_TOKEN", &token)
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()?,
        )
    };
    let mut children = vec![simulator("live", 20, "5s", &[])?];
    if wait_for_file(&dir.join("fleet-wanted.txt"), specs_done).is_some() {
        step(&format!("starting a quiet fleet of {fleet} agents"));
        children.push(simulator(
            "quiet",
            fleet.saturating_sub(20).max(1),
            "60s",
            &["--reports-only"],
        )?);
    }
    Ok(children)
}

/// The trimmed contents of `path` once it exists and is not empty, or `None` once the specs
/// ended without writing it.
fn wait_for_file(path: &Path, specs_done: &AtomicBool) -> Option<String> {
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.trim().is_empty()
        {
            return Some(text.trim().to_owned());
        }
        if specs_done.load(Ordering::Acquire) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn stop(children: Vec<Child>) {
    for mut child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Debian's nginx running the console's site from `docker/`, on a loopback port.
struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(upstream_url: &str, dist: &Path, artifacts: &Path) -> anyhow::Result<Self> {
        let root = workspace_root();
        let dir = tempfile::Builder::new()
            .prefix("monihub-nginx-")
            .tempdir()?;
        let port = free_port()?;
        let upstream = upstream_url.trim_start_matches("http://");
        let site = replace_all(
            &std::fs::read_to_string(root.join("docker/nginx.conf"))?,
            &[
                ("${MONIHUB_UPSTREAM}", upstream.to_owned()),
                ("listen 8080;", format!("listen 127.0.0.1:{port};")),
                (
                    "root /usr/share/nginx/html;",
                    format!("root {};", dist.display()),
                ),
            ],
        )?;
        let site_path = dir.path().join("site.conf");
        std::fs::write(&site_path, site)?;
        let temp = dir.path().join("tmp");
        std::fs::create_dir_all(&temp)?;
        let main = replace_all(
            &std::fs::read_to_string(root.join("docker/nginx-main.conf"))?,
            &[
                // pid file and temporary files
                ("/tmp/", format!("{}/", temp.display())),
                (
                    "access_log /dev/stdout;",
                    format!(
                        "access_log {};",
                        artifacts.join("nginx-access.log").display()
                    ),
                ),
                (
                    "include /etc/nginx/conf.d/*.conf;",
                    format!("include {};", site_path.display()),
                ),
            ],
        )?;
        let main_path = dir.path().join("nginx.conf");
        std::fs::write(&main_path, main)?;
        let log = std::fs::File::create(artifacts.join("nginx.log"))?;
        let child = Command::new(crate::docker::which("nginx").context("nginx is not installed")?)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&main_path)
            .args(["-g", "daemon off;"])
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let mut nginx = Self {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = nginx.child.try_wait()? {
                bail!(
                    "nginx exited ({status}): {}",
                    std::fs::read_to_string(artifacts.join("nginx.log")).unwrap_or_default()
                );
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "nginx did not listen within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(nginx)
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    /// A fast shutdown (SIGTERM): the master stops its workers before it exits. SIGKILL would
    /// leave the workers running; it is only the fallback.
    fn drop(&mut self) {
        crate::util::terminate(&mut self.child, Duration::from_secs(10));
    }
}

/// Every replacement must apply: a changed site file fails here, not in a confusing browser run.
fn replace_all(text: &str, replacements: &[(&str, String)]) -> anyhow::Result<String> {
    let mut out = text.to_owned();
    for (from, to) in replacements {
        if !out.contains(from) {
            bail!("the nginx configuration no longer contains {from:?}");
        }
        out = out.replace(from, to);
    }
    Ok(out)
}
