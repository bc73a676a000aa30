//! Instance queries and changes, without HTTP types.

use chrono::Utc;
use monihub_agent_protocol::Validate;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::dto::{InstanceDto, InstanceFilter, ReportDto, ReportRange, UpdateInstance};
use super::totals::ListTotals;
use crate::agent::routes::invalid;
use crate::audit::{self, Actor, Change};
use crate::entity::{applications, instance_reports, instances};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageRequest, text_search};

const RESOURCE: &str = "instance";

pub async fn list(
    db: &DatabaseConnection,
    totals: &ListTotals,
    filter: &InstanceFilter,
    page: PageRequest,
) -> ApiResult<Page<InstanceDto>> {
    use instances::Column as C;
    let mut query = instances::Entity::find().filter(C::DeletedAt.is_null());
    if let Some(application_id) = filter.application_id {
        query = query.filter(C::ApplicationId.eq(application_id));
    }
    if let Some(project_id) = filter.project_id {
        query = query.filter(
            C::ApplicationId.in_subquery(
                Query::select()
                    .column(applications::Column::Id)
                    .from(applications::Entity)
                    .and_where(applications::Column::ProjectId.eq(project_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(online) = filter.online {
        query = query.filter(C::Online.eq(online));
    }
    if let Some(status) = filter.status {
        query = query.filter(C::Status.eq(status));
    }
    if let Some(cond) = text_search(
        &[C::Hostname, C::IpAddress, C::AgentInstanceId],
        filter.q.as_deref(),
    ) {
        query = query.filter(cond);
    }
    let total = totals.total(db, filter, query.clone().count(db)).await?;
    let items = query
        .order_by_asc(C::Hostname)
        .order_by_asc(C::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?
        .into_iter()
        .map(InstanceDto::from)
        .collect();
    Ok(Page::new(items, total, page))
}

/// A live (not deleted) instance.
pub async fn find<C: sea_orm::ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<instances::Model> {
    instances::Entity::find_by_id(id)
        .filter(instances::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("instance"))
}

pub async fn get(db: &DatabaseConnection, id: Uuid) -> ApiResult<InstanceDto> {
    Ok(find(db, id).await?.into())
}

/// Enables or disables an instance and/or replaces its agent configuration. Invalid input is an
/// error that changes nothing (never a silent reset to defaults).
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    input: UpdateInstance,
) -> ApiResult<InstanceDto> {
    if let Some(config) = &input.config {
        config.validate(Utc::now()).map_err(|violations| {
            let mut error = invalid(violations);
            if let ApiError::Validation(errors) = &mut error {
                for e in errors.iter_mut() {
                    e.field = format!("config.{}", e.field);
                }
            }
            error
        })?;
    }
    let txn = crate::db::begin_write(db).await?;
    let existing = find(&txn, id).await?;
    let before = InstanceDto::from(existing.clone());
    let mut model: instances::ActiveModel = existing.into();
    if let Some(status) = input.status {
        model.status = Set(status);
    }
    if let Some(config) = input.config {
        model.config = Set(Some(serde_json::to_value(config).map_err(|e| {
            ApiError::Internal(anyhow::Error::new(e).context("failed to store the config"))
        })?));
    }
    model.updated_at = Set(Utc::now());
    let after = InstanceDto::from(model.update(&txn).await?);
    audit::record(
        &txn,
        actor,
        Change {
            action: "instance.update",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: audit::snapshot(&before),
            after: audit::snapshot(&after),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Soft-deletes an instance: it leaves lists and detail; its history stays until retention. If
/// its agent reports again, the instance comes back.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let existing = find(&txn, id).await?;
    let before = InstanceDto::from(existing.clone());
    let mut model: instances::ActiveModel = existing.into();
    let now = Utc::now();
    model.deleted_at = Set(Some(now));
    model.updated_at = Set(now);
    model.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            action: "instance.delete",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: audit::snapshot(&before),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Report history of an instance in a time range, newest first.
pub async fn reports(
    db: &DatabaseConnection,
    id: Uuid,
    range: &ReportRange,
    page: PageRequest,
) -> ApiResult<Page<ReportDto>> {
    use instance_reports::Column as C;
    crate::pagination::check_time_range(range.from, range.to)?;
    find(db, id).await?;
    let mut query = instance_reports::Entity::find().filter(C::InstanceId.eq(id));
    if let Some(from) = range.from {
        query = query.filter(C::ReceivedAt.gte(from));
    }
    if let Some(to) = range.to {
        query = query.filter(C::ReceivedAt.lt(to));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(C::ReceivedAt)
        .order_by_desc(C::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?
        .into_iter()
        .map(ReportDto::from)
        .collect();
    Ok(Page::new(items, total, page))
}
