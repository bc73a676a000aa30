//! Application management and agent-token rotation.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::dto::{
    ApplicationDto, ApplicationFilter, CreateApplication, IssuedAgentToken, UpdateApplication,
};
use super::token;
use crate::audit::{self, Actor, Change};
use crate::entity::{Status, applications, instances, projects};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageRequest, text_search};
use crate::validation::validate;

const RESOURCE: &str = "application";

pub async fn list(
    db: &DatabaseConnection,
    filter: &ApplicationFilter,
    page: PageRequest,
) -> ApiResult<Page<ApplicationDto>> {
    let mut query = applications::Entity::find();
    if let Some(project_id) = filter.project_id {
        query = query.filter(applications::Column::ProjectId.eq(project_id));
    }
    if let Some(cond) = text_search(
        &[applications::Column::Name, applications::Column::Code],
        filter.q.as_deref(),
    ) {
        query = query.filter(cond);
    }
    if let Some(status) = filter.status {
        query = query.filter(applications::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_asc(applications::Column::Name)
        .order_by_asc(applications::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?
        .into_iter()
        .map(ApplicationDto::from)
        .collect();
    Ok(Page::new(items, total, page))
}

async fn find<C: sea_orm::ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<applications::Model> {
    applications::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("application"))
}

pub async fn get(db: &DatabaseConnection, id: Uuid) -> ApiResult<ApplicationDto> {
    Ok(find(db, id).await?.into())
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreateApplication,
) -> ApiResult<ApplicationDto> {
    validate(&input)?;
    let txn = crate::db::begin_write(db).await?;
    if projects::Entity::find_by_id(input.project_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(ApiError::field(
            "project_id",
            "not_found",
            "no project has this id",
        ));
    }
    if applications::Entity::find()
        .filter(applications::Column::Code.eq(&input.code))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "an application with code '{}' already exists",
            input.code
        )));
    }
    let now = Utc::now();
    let app: ApplicationDto = applications::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(input.project_id),
        name: Set(input.name.trim().to_owned()),
        code: Set(input.code),
        description: Set(input.description),
        status: Set(Status::Active),
        tech_stacks: Set(serde_json::to_value(&input.tech_stacks).unwrap_or_default()),
        agent_token_hash: Set(None),
        agent_token_prefix: Set(None),
        agent_token_issued_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?
    .into();
    audit::record(
        &txn,
        actor,
        Change {
            action: "application.create",
            resource_type: RESOURCE,
            resource_id: Some(app.id.to_string()),
            before: None,
            after: audit::snapshot(&app),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(app)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    input: UpdateApplication,
) -> ApiResult<ApplicationDto> {
    validate(&input)?;
    let txn = crate::db::begin_write(db).await?;
    let existing = find(&txn, id).await?;
    let before = ApplicationDto::from(existing.clone());
    let mut model: applications::ActiveModel = existing.into();
    if let Some(name) = input.name {
        model.name = Set(name.trim().to_owned());
    }
    if let Some(description) = input.description {
        model.description = Set(description);
    }
    if let Some(status) = input.status {
        model.status = Set(status);
    }
    if let Some(stacks) = input.tech_stacks {
        model.tech_stacks = Set(serde_json::to_value(&stacks).unwrap_or_default());
    }
    model.updated_at = Set(Utc::now());
    let after: ApplicationDto = model.update(&txn).await?.into();
    audit::record(
        &txn,
        actor,
        Change {
            action: "application.update",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: audit::snapshot(&before),
            after: audit::snapshot(&after),
        },
    )
    .await?;
    // Every replica forgets the agent tokens it checked (delivered on commit).
    crate::agent::tokens::announce(&txn).await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes an application that has no live instances (deleted instances and all report history
/// go with it); otherwise 409 naming some of them.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let existing = find(&txn, id).await?;
    let live: Vec<String> = instances::Entity::find()
        .filter(instances::Column::ApplicationId.eq(id))
        .filter(instances::Column::DeletedAt.is_null())
        .order_by_asc(instances::Column::Hostname)
        .limit(10)
        .all(&txn)
        .await?
        .into_iter()
        .map(|i| i.hostname)
        .collect();
    if !live.is_empty() {
        return Err(ApiError::Conflict(format!(
            "the application still has instances ({}); delete them first",
            live.join(", ")
        )));
    }
    applications::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            action: "application.delete",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: audit::snapshot(&ApplicationDto::from(existing)),
            after: None,
        },
    )
    .await?;
    // Every replica forgets the agent tokens it checked (delivered on commit).
    crate::agent::tokens::announce(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Issues a new agent token, invalidating the previous one.
pub async fn rotate_agent_token(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<IssuedAgentToken> {
    let txn = crate::db::begin_write(db).await?;
    let existing = find(&txn, id).await?;
    let before = ApplicationDto::from(existing.clone());
    let new = token::generate();
    let now = Utc::now();
    let mut model: applications::ActiveModel = existing.into();
    model.agent_token_hash = Set(Some(new.hash));
    model.agent_token_prefix = Set(Some(new.prefix.clone()));
    model.agent_token_issued_at = Set(Some(now));
    model.updated_at = Set(now);
    let after: ApplicationDto = model.update(&txn).await?.into();
    audit::record(
        &txn,
        actor,
        Change {
            action: "application.rotate_agent_token",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: audit::snapshot(&before),
            after: audit::snapshot(&after),
        },
    )
    .await?;
    // Every replica forgets the agent tokens it checked (delivered on commit).
    crate::agent::tokens::announce(&txn).await?;
    txn.commit().await?;
    Ok(IssuedAgentToken {
        token: new.token,
        prefix: new.prefix,
        issued_at: now,
    })
}

/// The application an agent token belongs to, if any (for the agent API).
pub async fn find_by_agent_token(
    db: &DatabaseConnection,
    presented: &str,
) -> ApiResult<Option<applications::Model>> {
    Ok(applications::Entity::find()
        .filter(applications::Column::AgentTokenHash.eq(token::hash(presented)))
        .one(db)
        .await?)
}
