//! Log queries.

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

use super::dto::{LogDto, LogFilter};
use crate::entity::logs;
use crate::error::ApiResult;
use crate::pagination::{Page, PageRequest, text_search};

/// The filtered query, unordered; `from` after `to` is a 422.
pub fn filtered(filter: &LogFilter) -> ApiResult<Select<logs::Entity>> {
    use logs::Column as C;
    crate::pagination::check_time_range(filter.from, filter.to)?;
    let mut condition = Condition::all();
    if let Some(level) = filter.level {
        condition = condition.add(C::Level.eq(level.as_str()));
    }
    if let Some(source) = filter.source {
        condition = condition.add(C::Source.eq(source.as_str()));
    }
    if let Some(instance_id) = filter.instance_id {
        condition = condition.add(C::InstanceId.eq(instance_id));
    }
    if let Some(application_id) = filter.application_id {
        condition = condition.add(C::ApplicationId.eq(application_id));
    }
    if let Some(trace_id) = &filter.trace_id {
        condition = condition.add(C::TraceId.eq(trace_id));
    }
    if let Some(search) = text_search(&[C::Message], filter.q.as_deref()) {
        condition = condition.add(search);
    }
    if let Some(from) = filter.from {
        condition = condition.add(C::ReceivedAt.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(C::ReceivedAt.lt(to));
    }
    Ok(logs::Entity::find().filter(condition))
}

/// Newest first; `id` (time-ordered) breaks ties between lines of one report.
pub fn newest_first(query: Select<logs::Entity>) -> Select<logs::Entity> {
    query
        .order_by_desc(logs::Column::ReceivedAt)
        .order_by_desc(logs::Column::Id)
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &LogFilter,
    page: PageRequest,
) -> ApiResult<Page<LogDto>> {
    let query = filtered(filter)?;
    let total = query.clone().count(db).await?;
    let items = newest_first(query)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?
        .into_iter()
        .map(LogDto::from)
        .collect();
    Ok(Page::new(items, total, page))
}
