//! `/api/v1/audit` and `/api/v1/audit/{id}` (admin only).

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::diff::{DiffEntry, diff};
use crate::auth::{AuthUser, Permission};
use crate::entity::audit_log;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::Json;
use crate::pagination::{Page, PageQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit).service(get_audit);
}

/// One audit record in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordDto {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_username: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One audit record with its before/after state and the field diff.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDetailDto {
    #[serde(flatten)]
    pub record: AuditRecordDto,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub diff: Vec<DiffEntry>,
}

impl From<&audit_log::Model> for AuditRecordDto {
    fn from(m: &audit_log::Model) -> Self {
        Self {
            id: m.id,
            actor_id: m.actor_id,
            actor_username: m.actor_username.clone(),
            action: m.action.clone(),
            resource_type: m.resource_type.clone(),
            resource_id: m.resource_id.clone(),
            request_id: m.request_id.clone(),
            created_at: m.created_at,
        }
    }
}

/// Filters of `GET /api/v1/audit`. Every value is bound as a parameter, never spliced into SQL.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Username of the actor.
    pub actor: Option<String>,
    /// Exact action, e.g. `project.update`.
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// Only records at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only records before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// List audit records, newest first.
#[utoipa::path(
    tag = "audit",
    params(PageQuery, AuditFilter),
    responses(
        (status = 200, body = Page<AuditRecordDto>),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/audit")]
async fn list_audit(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageQuery>,
    filter: web::Query<AuditFilter>,
) -> ApiResult<Json<Page<AuditRecordDto>>> {
    user.require(Permission::ReadAudit)?;
    let page = page.into_inner().validate()?;
    crate::pagination::check_time_range(filter.from, filter.to)?;
    let mut query = audit_log::Entity::find();
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::Column::ActorUsername.eq(actor));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::Column::Action.eq(action));
    }
    if let Some(rt) = &filter.resource_type {
        query = query.filter(audit_log::Column::ResourceType.eq(rt));
    }
    if let Some(rid) = &filter.resource_id {
        query = query.filter(audit_log::Column::ResourceId.eq(rid));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::Column::CreatedAt.lt(to));
    }
    let total = query.clone().count(&state.db).await?;
    let items = query
        .order_by_desc(audit_log::Column::CreatedAt)
        .order_by_desc(audit_log::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(&state.db)
        .await?
        .iter()
        .map(AuditRecordDto::from)
        .collect();
    Ok(Json(Page::new(items, total, page)))
}

/// One audit record with before, after and the field diff.
#[utoipa::path(
    tag = "audit",
    params(("id" = Uuid, Path, description = "Audit record id")),
    responses(
        (status = 200, body = AuditDetailDto),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/audit/{id}")]
async fn get_audit(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<Json<AuditDetailDto>> {
    user.require(Permission::ReadAudit)?;
    let row = audit_log::Entity::find_by_id(*id)
        .one(&state.db)
        .await?
        .ok_or(ApiError::NotFound("audit record"))?;
    Ok(Json(AuditDetailDto {
        record: AuditRecordDto::from(&row),
        diff: diff(row.before.as_ref(), row.after.as_ref()),
        before: row.before,
        after: row.after,
    }))
}
