//! The schema migrates up, all the way down, and up again on both databases.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{Backend, spawn_app};

async fn up_down_up(backend: Backend) {
    let app = spawn_app(backend).await;
    let migrator = app.migrator().await;
    let all = Migrator::migrations().len();
    assert_eq!(
        Migrator::get_pending_migrations(&migrator)
            .await
            .unwrap()
            .len(),
        0
    );

    Migrator::down(&migrator, None).await.unwrap();
    assert_eq!(
        Migrator::get_pending_migrations(&migrator)
            .await
            .unwrap()
            .len(),
        all
    );
    let tables = table_count(&app.db, backend).await;
    assert_eq!(tables, 1, "only the migration bookkeeping table may remain");

    monihub_server::db::migrate_up(&migrator).await.unwrap();
    assert_eq!(
        Migrator::get_pending_migrations(&migrator)
            .await
            .unwrap()
            .len(),
        0
    );
    let roles = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT name FROM roles ORDER BY name",
        ))
        .await
        .unwrap();
    assert_eq!(roles.len(), 3);
}

async fn table_count(db: &sea_orm::DatabaseConnection, backend: Backend) -> i64 {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

crate::on_both_databases!(up_down_up);
