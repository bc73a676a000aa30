//! Schemathesis: installed once into a virtualenv in the cache, and the exact command line each
//! fuzz scenario runs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::server::Session;
use crate::util::{cache_dir, run_cmd, step};

/// The pinned Schemathesis release. Its CLI and its checks change between releases, so an
/// upgrade is a deliberate change here (and a fresh virtualenv, keyed by this version).
pub const VERSION: &str = "4.32.5";

/// How often a running fuzz scenario says it is still going.
const HEARTBEAT: Duration = Duration::from_secs(30);

/// What fails a run:
/// - `not_a_server_error`: any 5xx;
/// - `status_code_conformance`: a status the operation does not document;
/// - `content_type_conformance`: a `Content-Type` the response does not document. Schemathesis
///   only validates a body against the schema of the media type it was sent as, so without this
///   check an error body under an undocumented type would never be validated at all;
/// - `response_schema_conformance`: a body that does not match its documented schema.
///
/// Left out on purpose: `positive_data_acceptance` and `negative_data_rejection` (they flag
/// every rule JSON Schema cannot state: NUL characters refused on purpose, `from` after `to`,
/// the server's email check) and `unsupported_method` (it expects 405 where the server answers
/// 404 for methods a route does not have).
pub const CHECKS: [&str; 4] = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
];

/// Operations the signed-in run leaves out because succeeding ends the very session the run
/// uses (logout revokes it; changing one's own password ends all of one's sessions). Every
/// later request would then be answered 401 and test nothing else. Both are still fuzzed
/// without a token, and the API tests cover their success paths.
pub const SESSION_ENDING_OPERATIONS: [&str; 2] = ["logout", "change_password"];

/// Environment variables through which the signed-in run gets its session. The token goes
/// through the environment so that it is in no command line, log line or file.
const TOKEN_VARIABLE: &str = "MONIHUB_APIFUZZ_TOKEN";
const USER_ID_VARIABLE: &str = "MONIHUB_APIFUZZ_USER_ID";

/// The hooks the signed-in run loads (see the file for why).
const HOOKS: &str = include_str!("hooks.py");

/// Whom the fuzzer calls the API as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No `Authorization` header at all.
    Anonymous,
    /// The bootstrap admin's bearer token.
    Admin,
}

impl Caller {
    pub const ALL: [Caller; 2] = [Caller::Anonymous, Caller::Admin];

    /// Folder name for the run's files.
    pub fn slug(self) -> &'static str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::Admin => "admin",
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Caller::Anonymous => "without a token",
            Caller::Admin => "with an admin token",
        })
    }
}

/// One Schemathesis run against one running server.
pub struct Invocation<'a> {
    pub base_url: &'a str,
    pub caller: Caller,
    /// Test cases per operation and phase.
    pub examples: u32,
    pub seed: u64,
    /// Where the configuration goes and Schemathesis runs (it keeps its crash files there).
    pub dir: &'a Path,
}

/// The installed `st` executable.
pub struct Schemathesis {
    st: PathBuf,
}

impl Schemathesis {
    /// Reuse the virtualenv in the cache when its `st` reports the pinned version; otherwise
    /// (re)create it with `python3 -m venv` and install the pinned release from PyPI.
    pub fn ensure_installed() -> anyhow::Result<Self> {
        let venv = cache_dir().join(format!("schemathesis-{VERSION}"));
        let st = venv.join("bin").join("st");
        if reports_pinned_version(&st) {
            step(&format!(
                "using Schemathesis {VERSION} from {}",
                venv.display()
            ));
            return Ok(Self { st });
        }
        step(&format!(
            "installing Schemathesis {VERSION} into {}",
            venv.display()
        ));
        if venv.exists() {
            // A half-finished or broken install; a virtualenv cannot be repaired in place.
            std::fs::remove_dir_all(&venv)
                .with_context(|| format!("failed to remove {}", venv.display()))?;
        }
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("failed to create a virtualenv (Schemathesis needs Python 3.10 or newer)")?;
        run_cmd(
            Command::new(venv.join("bin").join("python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .arg(format!("schemathesis=={VERSION}")),
        )?;
        if !reports_pinned_version(&st) {
            bail!("{} does not report version {VERSION}", st.display());
        }
        Ok(Self { st })
    }

    /// Write the run's configuration and run Schemathesis; `Ok(false)` when it found failures.
    /// Its report goes to `schemathesis.log` in the run's folder and is printed whole at the
    /// end (runs on several databases go at once), with a line every 30 s meanwhile.
    pub fn run(
        &self,
        invocation: &Invocation,
        scenario: &str,
        session: &Session,
    ) -> anyhow::Result<bool> {
        let dir = invocation.dir;
        std::fs::create_dir_all(dir)?;
        let hooks = dir.join("hooks.py");
        if invocation.caller == Caller::Admin {
            std::fs::write(&hooks, HOOKS)?;
        }
        std::fs::write(
            dir.join(CONFIG_FILE),
            config_file(invocation.caller, &hooks)?,
        )?;
        let args = arguments(invocation);
        let report_path = dir.join("schemathesis.log");
        let report = std::fs::File::create(&report_path)
            .with_context(|| format!("failed to create {}", report_path.display()))?;
        let mut cmd = Command::new(&self.st);
        cmd.args(&args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(report.try_clone()?)
            .stderr(report);
        if invocation.caller == Caller::Admin {
            cmd.env(TOKEN_VARIABLE, &session.token)
                .env(USER_ID_VARIABLE, &session.user_id);
        }
        // Not `run_cmd`: its error message shows the environment, and with it the token.
        let mut child = cmd
            .spawn()
            .with_context(|| format!("failed to start {}", self.st.display()))?;
        let started = Instant::now();
        let mut next_beat = HEARTBEAT;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if started.elapsed() >= next_beat {
                eprintln!(
                    "    … still fuzzing the API on {scenario} ({} s)",
                    started.elapsed().as_secs()
                );
                next_beat += HEARTBEAT;
            }
            std::thread::sleep(Duration::from_millis(250));
        };
        let text = std::fs::read_to_string(&report_path).unwrap_or_default();
        // One write, so a report is never interleaved with another run's.
        eprint!(
            "--- Schemathesis on {scenario} (in {}) ---\nst {}\n{text}--- end of Schemathesis on {scenario} ---\n",
            dir.display(),
            args.join(" ")
        );
        Ok(status.success())
    }
}

fn reports_pinned_version(st: &Path) -> bool {
    Command::new(st).arg("--version").output().is_ok_and(|o| {
        o.status.success()
            && String::from_utf8_lossy(&o.stdout)
                .trim_end()
                .ends_with(VERSION)
    })
}

/// The configuration file's name inside the run folder.
const CONFIG_FILE: &str = "schemathesis.toml";

/// Settings that have no command-line flag.
fn config_file(caller: Caller, hooks: &Path) -> anyhow::Result<String> {
    let mut toml = String::from(
        "# Written by `cargo xtask apifuzz` for one run; every setting that has a command-line\n\
         # flag is passed as a flag instead.\n",
    );
    if caller == Caller::Admin {
        let path = hooks.to_str().context("non-UTF-8 path")?;
        // A JSON string is a valid TOML basic string.
        toml.push_str(&format!("hooks = {}\n", serde_json::to_string(path)?));
    }
    toml.push_str(
        "\n[auth]\n\
         # Otherwise Schemathesis takes POST /api/v1/users for a sign-up form and tries to\n\
         # register an account of its own before testing.\n\
         auto-signup = false\n",
    );
    if caller == Caller::Admin {
        toml.push_str(&format!(
            "\n[auth.openapi.bearer]\nbearer = \"${{{TOKEN_VARIABLE}}}\"\n"
        ));
    }
    toml.push_str(HOSTILE_VALUES);
    Ok(toml)
}

/// Values known to break database-backed APIs, mixed into a quarter of the generated strings
/// and integers. Left to chance, 50 cases per operation almost never put a NUL character into
/// a search filter, which PostgreSQL rejects in text. Strings: NUL (alone and inside text),
/// `LIKE` wildcards and the escape character, quotes, a bidi override, a noncharacter.
/// Integers: the edges of 32- and 64-bit integers, where offsets and products overflow.
/// Values outside a parameter's schema are only sent as negative cases, and Schemathesis says
/// so in a warning after the run.
const HOSTILE_VALUES: &str = r#"
[dictionaries.hostile-strings]
values = ["\u0000", "a\u0000b", "%", "_", "\\", "'", "\"", "\u202e", "\uffff"]

[dictionaries.hostile-integers]
values = [0, -1, 2147483647, 2147483648, 9223372036854775807, -9223372036854775808]

[generation.dictionaries.string]
dictionary = "hostile-strings"
probability = 0.25

[generation.dictionaries.integer]
dictionary = "hostile-integers"
probability = 0.25
"#;

/// The `st` command line of one run.
pub fn arguments(invocation: &Invocation) -> Vec<String> {
    let base = invocation.base_url;
    let mut args: Vec<String> = vec![
        "--config-file".into(),
        CONFIG_FILE.into(),
        "run".into(),
        format!("{base}/api/v1/openapi.json"),
        "--url".into(),
        base.into(),
        "--phases".into(),
        "examples,coverage,fuzzing,stateful".into(),
        "--checks".into(),
        CHECKS.join(","),
        // Every test case of an operation runs even after one failed, so a 5xx is not hidden
        // behind an earlier, lesser failure of the same operation.
        "--continue-on-failure".into(),
        "--max-examples".into(),
        invocation.examples.to_string(),
        "--seed".into(),
        invocation.seed.to_string(),
        // No example database: a run replays nothing from earlier runs, so the same seed
        // sends the same requests.
        "--generation-database".into(),
        "none".into(),
        // NUL characters in strings are a classic source of database errors; keep them in.
        "--generation-allow-x00".into(),
        "true".into(),
        // One worker: requests go out in the same order every time, so findings reproduce.
        "--workers".into(),
        "1".into(),
        "--request-timeout".into(),
        "10".into(),
    ];
    if invocation.caller == Caller::Admin {
        for operation in SESSION_ENDING_OPERATIONS {
            args.push("--exclude-operation-id".into());
            args.push(operation.into());
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(caller: Caller) -> Invocation<'static> {
        Invocation {
            base_url: "http://127.0.0.1:4000",
            caller,
            examples: 30,
            seed: 99,
            dir: Path::new("/tmp/run"),
        }
    }

    /// The value following `flag`, if the flag is present.
    fn value_of<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    }

    #[test]
    fn runs_against_the_servers_own_document_and_address() {
        let args = arguments(&invocation(Caller::Anonymous));
        assert_eq!(args[..3], ["--config-file", CONFIG_FILE, "run"]);
        assert_eq!(args[3], "http://127.0.0.1:4000/api/v1/openapi.json");
        assert_eq!(value_of(&args, "--url"), Some("http://127.0.0.1:4000"));
    }

    #[test]
    fn fails_on_server_errors_and_every_kind_of_response_mismatch() {
        let args = arguments(&invocation(Caller::Admin));
        let checks: Vec<&str> = value_of(&args, "--checks").unwrap().split(',').collect();
        for check in [
            "not_a_server_error",
            "status_code_conformance",
            "content_type_conformance",
            "response_schema_conformance",
        ] {
            assert!(checks.contains(&check), "{check} missing from {checks:?}");
        }
        assert!(args.contains(&"--continue-on-failure".to_string()));
    }

    #[test]
    fn run_size_and_generated_data_are_fixed_by_the_arguments() {
        let args = arguments(&invocation(Caller::Anonymous));
        assert_eq!(value_of(&args, "--max-examples"), Some("30"));
        assert_eq!(value_of(&args, "--seed"), Some("99"));
        assert_eq!(value_of(&args, "--workers"), Some("1"));
        assert_eq!(value_of(&args, "--generation-database"), Some("none"));
    }

    #[test]
    fn only_the_signed_in_run_skips_session_ending_operations() {
        let excluded = |caller| {
            let args = arguments(&invocation(caller));
            args.windows(2)
                .filter(|w| w[0] == "--exclude-operation-id")
                .map(|w| w[1].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(excluded(Caller::Admin), ["logout", "change_password"]);
        assert!(excluded(Caller::Anonymous).is_empty());
    }

    #[test]
    fn the_token_reaches_schemathesis_only_through_the_environment() {
        let admin = config_file(Caller::Admin, Path::new("/run/admin/hooks.py")).unwrap();
        assert!(admin.contains("[auth.openapi.bearer]\nbearer = \"${MONIHUB_APIFUZZ_TOKEN}\""));
        assert!(admin.contains("hooks = \"/run/admin/hooks.py\"\n"));
        let anonymous = config_file(Caller::Anonymous, Path::new("/run/hooks.py")).unwrap();
        assert!(!anonymous.contains("bearer"));
        assert!(!anonymous.contains("hooks ="));
    }

    #[test]
    fn top_level_settings_come_before_the_first_table() {
        let admin = config_file(Caller::Admin, Path::new("/run/admin/hooks.py")).unwrap();
        let hooks = admin.find("hooks =").unwrap();
        let first_table = admin.find("\n[").unwrap();
        assert!(hooks < first_table, "{admin}");
    }

    #[test]
    fn schemathesis_never_signs_itself_up() {
        for caller in Caller::ALL {
            let toml = config_file(caller, Path::new("/run/hooks.py")).unwrap();
            assert!(toml.contains("[auth]\n"), "{toml}");
            assert!(toml.contains("\nauto-signup = false\n"), "{toml}");
        }
    }

    #[test]
    fn generated_strings_include_nul_characters() {
        for caller in Caller::ALL {
            let toml = config_file(caller, Path::new("/run/hooks.py")).unwrap();
            // TOML's escape for U+0000, so the file itself holds no NUL byte.
            assert!(toml.contains(r#"values = ["\u0000", "a\u0000b""#), "{toml}");
            assert!(!toml.contains('\0'));
            assert!(
                toml.contains("[generation.dictionaries.string]\ndictionary = \"hostile-strings\"")
            );
        }
    }

    #[test]
    fn hook_paths_are_escaped_for_toml() {
        let toml = config_file(Caller::Admin, Path::new("/odd \"dir\"/hooks.py")).unwrap();
        assert!(
            toml.contains(r#"hooks = "/odd \"dir\"/hooks.py""#),
            "{toml}"
        );
    }
}
