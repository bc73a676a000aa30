//! The built-in "Cluster nodes" application (project "Cluster"): where the node agents the
//! operator deploys report. Given `MONIHUB_CLUSTER_AGENT_TOKEN`, the server makes sure at start
//! that both exist and that the application accepts exactly that token, so a fresh installation
//! shows its nodes without anyone issuing a token by hand. Safe to run from several replicas at
//! once; the token is the deployment's to manage (a restart puts it back if rotated by hand).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use secrecy::{ExposeSecret, SecretString};

use super::dto::CreateApplication;
use super::{service, token};
use crate::audit::{self, Actor, Change};
use crate::entity::{applications, projects};
use crate::error::{ApiError, ApiResult};
use crate::projects::dto::CreateProject;

pub const PROJECT_CODE: &str = "cluster";
pub const APPLICATION_CODE: &str = "cluster-nodes";

/// What [`ensure`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was already in place.
    Unchanged,
    /// The application was created or its token set.
    Updated,
}

async fn project_id(db: &DatabaseConnection, actor: &Actor) -> ApiResult<uuid::Uuid> {
    let find = || async {
        projects::Entity::find()
            .filter(projects::Column::Code.eq(PROJECT_CODE))
            .one(db)
            .await
    };
    if let Some(project) = find().await? {
        return Ok(project.id);
    }
    let created = crate::projects::service::create(
        db,
        actor,
        CreateProject {
            name: "Cluster".into(),
            code: PROJECT_CODE.into(),
            description: Some("The Kubernetes cluster MoniHub runs in.".into()),
        },
    )
    .await;
    match created {
        Ok(project) => Ok(project.id),
        // Another replica won the race.
        Err(ApiError::Conflict(_)) => find().await?.map(|project| project.id).ok_or_else(|| {
            ApiError::Conflict("the cluster project vanished while being created".into())
        }),
        Err(e) => Err(e),
    }
}

async fn application(
    db: &DatabaseConnection,
    actor: &Actor,
    project_id: uuid::Uuid,
) -> ApiResult<applications::Model> {
    let find = || async {
        applications::Entity::find()
            .filter(applications::Column::Code.eq(APPLICATION_CODE))
            .one(db)
            .await
    };
    if let Some(app) = find().await? {
        return Ok(app);
    }
    let created = service::create(
        db,
        actor,
        CreateApplication {
            project_id,
            name: "Cluster nodes".into(),
            code: APPLICATION_CODE.into(),
            description: Some("Node agents deployed by the MoniHub operator.".into()),
            tech_stacks: Vec::new(),
        },
    )
    .await;
    match created {
        Ok(_) | Err(ApiError::Conflict(_)) => find().await?.ok_or_else(|| {
            ApiError::Conflict("the cluster application vanished while being created".into())
        }),
        Err(e) => Err(e),
    }
}

/// Make sure the project, the application and its token are in place.
pub async fn ensure(db: &DatabaseConnection, agent_token: &SecretString) -> ApiResult<Outcome> {
    let actor = Actor::system("cluster-agents");
    let project = project_id(db, &actor).await?;
    let app = application(db, &actor, project).await?;
    let hash = token::hash(agent_token.expose_secret());
    if app.agent_token_hash.as_deref() == Some(hash.as_str()) {
        return Ok(Outcome::Unchanged);
    }
    let txn = crate::db::begin_write(db).await?;
    let before = super::dto::ApplicationDto::from(app.clone());
    let now = Utc::now();
    let mut model: applications::ActiveModel = app.into();
    model.agent_token_hash = Set(Some(hash));
    model.agent_token_prefix = Set(Some(agent_token.expose_secret().chars().take(12).collect()));
    model.agent_token_issued_at = Set(Some(now));
    model.updated_at = Set(now);
    let after = super::dto::ApplicationDto::from(model.update(&txn).await?);
    audit::record(
        &txn,
        &actor,
        Change {
            action: "application.set_cluster_agent_token",
            resource_type: "application",
            resource_id: Some(after.id.to_string()),
            before: audit::snapshot(&before),
            after: audit::snapshot(&after),
        },
    )
    .await?;
    crate::agent::tokens::announce(&txn).await?;
    txn.commit().await?;
    Ok(Outcome::Updated)
}
