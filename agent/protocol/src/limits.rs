//! Bounds of every field an agent sends. A report within them is at most a few hundred KiB.

/// Agent instance ids: 1–64 characters of `A-Z a-z 0-9 . _ : -`.
pub const INSTANCE_ID_MAX: usize = 64;
/// Host names (RFC 1123 allows 253; a little slack for odd platforms).
pub const HOSTNAME_MAX: usize = 255;
/// Versions, OS names, CPU models and other short descriptive strings.
pub const SHORT_TEXT_MAX: usize = 256;
/// Environment entries kept per report, and the lengths of their names and values.
pub const ENVIRONMENT_ENTRIES_MAX: usize = 256;
pub const ENVIRONMENT_NAME_MAX: usize = 128;
pub const ENVIRONMENT_VALUE_MAX: usize = 4096;
/// Custom fields (strings) and custom metrics (numbers) per report.
pub const CUSTOM_ENTRIES_MAX: usize = 64;
pub const CUSTOM_NAME_MAX: usize = 64;
pub const CUSTOM_VALUE_MAX: usize = 1024;
/// Agent log lines per report, and the length of one message.
pub const LOG_LINES_MAX: usize = 200;
pub const LOG_MESSAGE_MAX: usize = 8192;
/// Context entries of one log line.
pub const LOG_CONTEXT_ENTRIES_MAX: usize = 16;
/// A report may be dated at most this far ahead of the server's clock.
pub const CLOCK_SKEW_MAX_SECONDS: i64 = 300;
/// Task contents: scripts and code, URLs, paths, headers and environment entries.
pub const SCRIPT_MAX: usize = 65_536;
pub const URL_MAX: usize = 2048;
pub const PATH_MAX: usize = 4096;
pub const TASK_MAP_ENTRIES_MAX: usize = 64;
pub const TASK_ARGS_MAX: usize = 16;
pub const HTTP_BODY_MAX: usize = 1_048_576;
/// Task results: output and error text.
pub const OUTPUT_MAX: usize = 131_072;
pub const ERROR_MAX: usize = 8192;
