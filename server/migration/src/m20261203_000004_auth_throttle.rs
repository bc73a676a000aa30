//! Sign-in and password-check throttling keyed by account and client, replacing the per-name
//! `login_throttle` table (whose lock let anyone lock any account). The old rows are transient
//! counters, so they are dropped rather than carried over.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginThrottle::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthThrottle::Table)
                    .col(string_len(AuthThrottle::Key, 255).primary_key())
                    .col(string_len(AuthThrottle::Account, 128))
                    .col(integer(AuthThrottle::Attempts))
                    .col(timestamp_with_time_zone(AuthThrottle::WindowStartedAt))
                    .col(timestamp_with_time_zone_null(AuthThrottle::BlockedUntil))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_auth_throttle_account")
                    .table(AuthThrottle::Table)
                    .col(AuthThrottle::Account)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuthThrottle::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(string_len(LoginThrottle::Key, 128).primary_key())
                    .col(integer(LoginThrottle::Failures))
                    .col(timestamp_with_time_zone(LoginThrottle::WindowStartedAt))
                    .col(timestamp_with_time_zone_null(LoginThrottle::LockedUntil))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AuthThrottle {
    Table,
    /// `login:<account>`, `login:<account>|<client>` or `password:<account>`.
    Key,
    /// The account the key belongs to (an admin's unlock clears every key of it).
    Account,
    /// Attempts counted in the current window (each is counted before it is evaluated).
    Attempts,
    WindowStartedAt,
    /// No attempt is evaluated before this time.
    BlockedUntil,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    LockedUntil,
}
