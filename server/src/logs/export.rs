//! `GET /api/v1/logs/export`: every matching line as CSV, streamed page by page.
//!
//! Pages are read with a keyset cursor (`received_at`, `id`), never `OFFSET`, so each page costs
//! the same however deep the export goes, and memory holds one page at a time whatever the
//! number of rows.

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use futures::Stream;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::dto::LogFilter;
use super::service::{filtered, newest_first};
use crate::entity::logs;
use crate::error::ApiResult;

/// Rows read and written per step.
pub const PAGE_ROWS: u64 = 1000;

const HEADER: [&str; 9] = [
    "received_at",
    "logged_at",
    "level",
    "source",
    "application_id",
    "instance_id",
    "trace_id",
    "message",
    "context",
];

/// Spreadsheets run cells that start with these as formulas; such cells get a leading `'`.
fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn csv_bytes(rows: &[logs::Model], with_header: bool) -> Result<Bytes, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160));
    if with_header {
        writer.write_record(HEADER)?;
    }
    for row in rows {
        let optional = |id: Option<Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
        writer.write_record([
            row.received_at.to_rfc3339().as_str(),
            row.logged_at.to_rfc3339().as_str(),
            row.level.as_str(),
            row.source.as_str(),
            optional(row.application_id).as_str(),
            optional(row.instance_id).as_str(),
            &defuse(row.trace_id.as_deref().unwrap_or_default()),
            &defuse(&row.message),
            row.context.to_string().as_str(),
        ])?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(Bytes::from(bytes))
}

struct Cursor {
    db: DatabaseConnection,
    filter: LogFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    first: bool,
    done: bool,
}

/// The CSV stream of every line matching `filter`, newest first. Filter errors surface before
/// anything is sent.
pub fn stream(
    db: DatabaseConnection,
    filter: LogFilter,
) -> ApiResult<impl Stream<Item = Result<Bytes, actix_web::Error>>> {
    filtered(&filter)?;
    let cursor = Cursor {
        db,
        filter,
        after: None,
        first: true,
        done: false,
    };
    Ok(futures::stream::unfold(cursor, |mut cursor| async move {
        if cursor.done {
            return None;
        }
        match next_page(&cursor).await {
            Ok(rows) => {
                let with_header = std::mem::replace(&mut cursor.first, false);
                cursor.done = (rows.len() as u64) < PAGE_ROWS;
                cursor.after = rows.last().map(|r| (r.received_at, r.id));
                match csv_bytes(&rows, with_header) {
                    Ok(bytes) => Some((Ok(bytes), cursor)),
                    Err(err) => {
                        cursor.done = true;
                        Some((Err(actix_web::error::ErrorInternalServerError(err)), cursor))
                    }
                }
            }
            Err(err) => {
                // The status line is long sent: log, and end the body early.
                tracing::error!(error = %err, "log export failed");
                cursor.done = true;
                Some((Err(actix_web::error::ErrorInternalServerError(err)), cursor))
            }
        }
    }))
}

async fn next_page(cursor: &Cursor) -> Result<Vec<logs::Model>, sea_orm::DbErr> {
    use logs::Column as C;
    let mut query = filtered(&cursor.filter).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    if let Some((at, id)) = cursor.after {
        query = query.filter(
            Condition::any()
                .add(C::ReceivedAt.lt(at))
                .add(Condition::all().add(C::ReceivedAt.eq(at)).add(C::Id.lt(id))),
        );
    }
    newest_first(query).limit(PAGE_ROWS).all(&cursor.db).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(defuse("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(defuse("+1"), "'+1");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("plain text"), "plain text");
    }
}
