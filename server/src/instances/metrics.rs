//! Downsampled metric series, computed in the database: reports are grouped into at most
//! [`MAX_POINTS`] equal time buckets and averaged there, so a week of 10-second reports costs the
//! client a few hundred rows, not sixty thousand.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use uuid::Uuid;

use super::dto::{MetricPoint, MetricSeries};
use crate::error::{ApiError, ApiResult};

/// Most points a series has.
pub const MAX_POINTS: i64 = 300;
const DEFAULT_RANGE: Duration = Duration::from_secs(3600);
const MIN_RANGE: Duration = Duration::from_secs(60);
const MAX_RANGE: Duration = Duration::from_secs(30 * 24 * 3600);

/// `15m`, `1h`, `7d` … → a duration within 1m..=30d; anything else is a 422 on `range`.
pub fn parse_range(range: Option<&str>) -> ApiResult<Duration> {
    let Some(text) = range else {
        return Ok(DEFAULT_RANGE);
    };
    let invalid = || {
        ApiError::field(
            "range",
            "format",
            "use a number and a unit (s, m, h, d) between 1m and 30d, e.g. 1h or 7d",
        )
    };
    let (digits, unit) = text.split_at(text.len().saturating_sub(1));
    let amount: u64 = digits.parse().map_err(|_| invalid())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(invalid()),
    };
    let range = amount
        .checked_mul(unit_secs)
        .map(Duration::from_secs)
        .ok_or_else(invalid)?;
    if (MIN_RANGE..=MAX_RANGE).contains(&range) {
        Ok(range)
    } else {
        Err(invalid())
    }
}

/// The bucket width for a range: the range split into at most [`MAX_POINTS`] whole seconds.
pub fn step_seconds(range: Duration) -> i64 {
    let secs = i64::try_from(range.as_secs()).unwrap_or(i64::MAX);
    (secs + MAX_POINTS - 1) / MAX_POINTS
}

#[derive(Debug, FromQueryResult)]
struct Bucket {
    bucket: i64,
    cpu: f64,
    memory: f64,
    disk: f64,
    samples: i64,
}

/// The series of one instance over `range` up to `now`.
pub async fn series<C: ConnectionTrait>(
    db: &C,
    instance_id: Uuid,
    range: Duration,
    now: DateTime<Utc>,
) -> ApiResult<MetricSeries> {
    let step = step_seconds(range);
    let from = now - chrono::Duration::from_std(range).unwrap_or(chrono::Duration::days(30));
    let backend = db.get_database_backend();
    // The bucket is the number of whole steps between `from` and the report, clamped so that
    // sub-second rounding at either end never makes a range more than MAX_POINTS buckets.
    let bucket = match backend {
        DbBackend::Postgres => {
            "LEAST(GREATEST(floor((extract(epoch from received_at) - $5) / $2)::bigint, 0), $6)"
        }
        _ => "min(max((CAST(strftime('%s', received_at) AS INTEGER) - $5) / $2, 0), $6)",
    };
    let sql = format!(
        "SELECT {bucket} AS bucket, \
                CAST(avg(cpu_usage_percent) AS DOUBLE PRECISION) AS cpu, \
                CAST(avg(memory_usage_percent) AS DOUBLE PRECISION) AS memory, \
                CAST(avg(disk_usage_percent) AS DOUBLE PRECISION) AS disk, \
                count(*) AS samples \
         FROM instance_reports \
         WHERE instance_id = $1 AND received_at >= $3 AND received_at < $4 \
         GROUP BY 1 ORDER BY 1"
    );
    let sql = match backend {
        DbBackend::Postgres => sql,
        // SQLite numbers its parameters `?NNN`.
        _ => sql
            .replace("$1", "?1")
            .replace("$2", "?2")
            .replace("$3", "?3")
            .replace("$4", "?4")
            .replace("$5", "?5")
            .replace("$6", "?6")
            .replace("DOUBLE PRECISION", "REAL"),
    };
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            instance_id.into(),
            step.into(),
            from.into(),
            now.into(),
            from.timestamp().into(),
            (MAX_POINTS - 1).into(),
        ],
    );
    let points = Bucket::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .map(|b| MetricPoint {
            at: Utc
                .timestamp_opt(from.timestamp() + b.bucket.saturating_mul(step), 0)
                .single()
                .unwrap_or(from),
            cpu_usage_percent: b.cpu,
            memory_usage_percent: b.memory,
            disk_usage_percent: b.disk,
            samples: b.samples,
        })
        .collect();
    Ok(MetricSeries {
        from,
        to: now,
        step_seconds: step,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_within_bounds() {
        assert_eq!(parse_range(None).unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_range(Some("15m")).unwrap(), Duration::from_secs(900));
        assert_eq!(
            parse_range(Some("7d")).unwrap(),
            Duration::from_secs(604_800)
        );
        for bad in [
            "",
            "h",
            "30s",
            "31d",
            "1w",
            "-1h",
            "1.5h",
            "99999999999999999999d",
        ] {
            assert!(parse_range(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn steps_keep_series_short() {
        assert_eq!(step_seconds(Duration::from_secs(3600)), 12);
        assert_eq!(step_seconds(Duration::from_secs(60)), 1);
        let week = Duration::from_secs(604_800);
        assert!(604_800 / step_seconds(week) <= MAX_POINTS);
    }
}
