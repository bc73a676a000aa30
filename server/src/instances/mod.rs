//! Instances: the fleet as the agents report it. Listing and filtering, detail with the latest
//! state, enabling and disabling, the per-instance agent configuration, soft deletion, report
//! history and downsampled metric series.

pub mod dto;
pub mod metrics;
pub mod presence;
pub mod routes;
pub mod service;
pub mod totals;
