//! Daily partitions of `instance_reports` on PostgreSQL (from migration `000009`): the names and
//! statements both the migration and the running server use.
//!
//! Each partition holds one UTC day of `received_at`, named `instance_reports_pYYYYMMDD`. A
//! `DEFAULT` partition catches rows of days that have no partition of their own (history older than
//! the partitioning, or a server that could not create partitions ahead of time); retention still
//! deletes those rows one batch at a time.

use chrono::{DateTime, NaiveDate, Utc};

/// The partitioned table.
pub const TABLE: &str = "instance_reports";
/// The partition for rows of days without their own.
pub const DEFAULT_PARTITION: &str = "instance_reports_default";
const PREFIX: &str = "instance_reports_p";

/// The name of the partition holding `day`.
pub fn name(day: NaiveDate) -> String {
    format!("{PREFIX}{}", day.format("%Y%m%d"))
}

/// The day a partition name stands for; `None` for any other table (the default partition too).
pub fn day_of(name: &str) -> Option<NaiveDate> {
    let digits = name.strip_prefix(PREFIX)?;
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

/// The first instant after `day`, as the partition bounds use it.
pub fn end_of(day: NaiveDate) -> DateTime<Utc> {
    start_of(day.succ_opt().unwrap_or(day)) // the last representable day never gets a partition
}

/// The first instant of `day` (UTC).
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

/// `CREATE TABLE IF NOT EXISTS` for the partition of `day`.
pub fn create(day: NaiveDate) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} PARTITION OF {TABLE} FOR VALUES FROM ('{}') TO ('{}')",
        name(day),
        start_of(day).format("%Y-%m-%d %H:%M:%S+00"),
        end_of(day).format("%Y-%m-%d %H:%M:%S+00"),
    )
}

/// The names of every partition (the default one included).
pub const LIST: &str = "SELECT c.relname::text FROM pg_inherits i \
     JOIN pg_class c ON c.oid = i.inhrelid \
     WHERE i.inhparent = 'instance_reports'::regclass ORDER BY 1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_days_round_trip() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert_eq!(name(day), "instance_reports_p20261231");
        assert_eq!(day_of(&name(day)), Some(day));
        assert_eq!(day_of(DEFAULT_PARTITION), None);
        assert_eq!(day_of("instance_reports_p2026123"), None);
        assert_eq!(day_of("instance_reports_p2026123x"), None);
        assert_eq!(day_of("instance_reports_p20261332"), None);
        assert_eq!(day_of("logs"), None);
    }

    #[test]
    fn a_partition_covers_one_utc_day() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert_eq!(
            create(day),
            "CREATE TABLE IF NOT EXISTS instance_reports_p20261231 PARTITION OF instance_reports \
             FOR VALUES FROM ('2026-12-31 00:00:00+00') TO ('2027-01-01 00:00:00+00')"
        );
    }
}
