//! Project management.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::dto::{CreateProject, ProjectDto, ProjectFilter, UpdateProject};
use crate::audit::{self, Actor, Change};
use crate::entity::{Status, applications, projects};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageRequest, text_search};
use crate::validation::validate;

const RESOURCE: &str = "project";

pub async fn list(
    db: &DatabaseConnection,
    filter: &ProjectFilter,
    page: PageRequest,
) -> ApiResult<Page<ProjectDto>> {
    let mut query = projects::Entity::find();
    if let Some(cond) = text_search(
        &[projects::Column::Name, projects::Column::Code],
        filter.q.as_deref(),
    ) {
        query = query.filter(cond);
    }
    if let Some(status) = filter.status {
        query = query.filter(projects::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_asc(projects::Column::Name)
        .order_by_asc(projects::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?
        .into_iter()
        .map(ProjectDto::from)
        .collect();
    Ok(Page::new(items, total, page))
}

pub async fn find<C: sea_orm::ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<projects::Model> {
    projects::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("project"))
}

pub async fn get(db: &DatabaseConnection, id: Uuid) -> ApiResult<ProjectDto> {
    Ok(find(db, id).await?.into())
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreateProject,
) -> ApiResult<ProjectDto> {
    validate(&input)?;
    let txn = crate::db::begin_write(db).await?;
    if projects::Entity::find()
        .filter(projects::Column::Code.eq(&input.code))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "a project with code '{}' already exists",
            input.code
        )));
    }
    let now = Utc::now();
    let project: ProjectDto = projects::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(input.name.trim().to_owned()),
        code: Set(input.code),
        description: Set(input.description),
        status: Set(Status::Active),
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
            action: "project.create",
            resource_type: RESOURCE,
            resource_id: Some(project.id.to_string()),
            before: None,
            after: audit::snapshot(&project),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(project)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    input: UpdateProject,
) -> ApiResult<ProjectDto> {
    validate(&input)?;
    let txn = crate::db::begin_write(db).await?;
    let existing = find(&txn, id).await?;
    let before = ProjectDto::from(existing.clone());
    let mut model: projects::ActiveModel = existing.into();
    if let Some(name) = input.name {
        model.name = Set(name.trim().to_owned());
    }
    if let Some(description) = input.description {
        model.description = Set(description);
    }
    if let Some(status) = input.status {
        model.status = Set(status);
    }
    model.updated_at = Set(Utc::now());
    let after: ProjectDto = model.update(&txn).await?.into();
    audit::record(
        &txn,
        actor,
        Change {
            action: "project.update",
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

/// Deletes a project that has no applications; otherwise 409 naming them.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let existing = find(&txn, id).await?;
    let blocking: Vec<String> = applications::Entity::find()
        .filter(applications::Column::ProjectId.eq(id))
        .order_by_asc(applications::Column::Code)
        .limit(10)
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| a.code)
        .collect();
    if !blocking.is_empty() {
        return Err(ApiError::Conflict(format!(
            "the project still has applications ({}); delete or move them first",
            blocking.join(", ")
        )));
    }
    projects::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            action: "project.delete",
            resource_type: RESOURCE,
            resource_id: Some(id.to_string()),
            before: audit::snapshot(&ProjectDto::from(existing)),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
