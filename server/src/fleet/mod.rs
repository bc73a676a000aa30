//! Fleet metrics for Prometheus: the latest CPU, memory and disk of every instance, and whether it
//! is online, labelled with its application and project, so a user's Prometheus and Grafana can
//! chart the whole fleet. Read with a viewer's token or the scrape token
//! (`MONIHUB_METRICS_TOKEN`).

pub mod routes;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entity::{applications, instances, projects};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InstanceLabels {
    instance_id: String,
    hostname: String,
    application: String,
    project: String,
}

type FloatGauges = Family<InstanceLabels, Gauge<f64, AtomicU64>>;

/// The exposition of the fleet's latest state, in the OpenMetrics text format.
pub async fn exposition(db: &DatabaseConnection) -> Result<String, sea_orm::DbErr> {
    let projects: HashMap<Uuid, String> = projects::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    let applications: HashMap<Uuid, (String, String)> = applications::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            let project = projects.get(&a.project_id).cloned().unwrap_or_default();
            (a.id, (a.code, project))
        })
        .collect();
    let fleet = instances::Entity::find()
        .filter(instances::Column::DeletedAt.is_null())
        .all(db)
        .await?;

    let mut registry = Registry::with_prefix("monihub_instance");
    let cpu = FloatGauges::default();
    let memory = FloatGauges::default();
    let disk = FloatGauges::default();
    let online = Family::<InstanceLabels, Gauge>::default();
    let last_report = Family::<InstanceLabels, Gauge>::default();
    registry.register(
        "cpu_usage_percent",
        "CPU busy at the last report",
        cpu.clone(),
    );
    registry.register(
        "memory_usage_percent",
        "Memory in use at the last report",
        memory.clone(),
    );
    registry.register(
        "disk_usage_percent",
        "Disk in use at the last report",
        disk.clone(),
    );
    registry.register(
        "online",
        "1 while the instance reports, 0 once it is offline",
        online.clone(),
    );
    registry.register(
        "last_report_timestamp_seconds",
        "When the instance last reported (Unix time)",
        last_report.clone(),
    );
    for instance in fleet {
        let (application, project) = applications
            .get(&instance.application_id)
            .cloned()
            .unwrap_or_default();
        let labels = InstanceLabels {
            instance_id: instance.id.to_string(),
            hostname: instance.hostname,
            application,
            project,
        };
        cpu.get_or_create(&labels).set(instance.cpu_usage_percent);
        memory
            .get_or_create(&labels)
            .set(instance.memory_usage_percent);
        disk.get_or_create(&labels).set(instance.disk_usage_percent);
        online
            .get_or_create(&labels)
            .set(i64::from(instance.online));
        last_report
            .get_or_create(&labels)
            .set(instance.last_report_at.timestamp());
    }
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry)
        .map_err(|e| sea_orm::DbErr::Custom(format!("failed to encode fleet metrics: {e}")))?;
    Ok(out)
}
