//! The release allocator's settings are the ones the binary carries: jemalloc reports its
//! options at exit when asked (`stats_print`), which shows whether the built-in configuration
//! was picked up (a build without it silently keeps jemalloc's defaults).

use std::process::Command;

/// The value jemalloc reports for option `name` (`opt.<name>: <value> (…)`).
fn option<'a>(stats: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("opt.{name}:");
    stats
        .lines()
        .find_map(|l| l.trim().strip_prefix(prefix.as_str()))
        .and_then(|rest| rest.split_whitespace().next())
}

#[test]
fn the_binary_returns_freed_memory_within_a_second() {
    let out = Command::new(env!("CARGO_BIN_EXE_monihub-server"))
        .arg("version")
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .expect("the server binary runs");
    assert!(out.status.success());
    let stats = String::from_utf8_lossy(&out.stderr);
    let shown = || stats.lines().take(30).collect::<Vec<_>>().join("\n");
    assert_eq!(
        option(&stats, "dirty_decay_ms"),
        Some("1000"),
        "{}",
        shown()
    );
    assert_eq!(option(&stats, "muzzy_decay_ms"), Some("0"), "{}", shown());
    assert_eq!(
        option(&stats, "background_thread"),
        Some("true"),
        "{}",
        shown()
    );
}
