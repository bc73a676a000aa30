//! Host metrics with sysinfo. CPU usage is measured over the interval between two reports (the
//! difference of the kernel's counters), never from a single sample, which would always read 0.

use std::collections::BTreeMap;

use chrono::Utc;
use monihub_agent_protocol::report::{HardwareInfo, NetworkInfo, OsType, RuntimeInfo, SystemInfo};
use sysinfo::{CpuRefreshKind, Disks, MemoryRefreshKind, Networks, RefreshKind, System};

/// Most mounts reported one by one in the custom metrics.
const MOUNTS_MAX: usize = 16;

/// Keeps the samplers between reports (CPU and network rates need the previous sample).
pub struct Host {
    system: System,
    disks: Disks,
    networks: Networks,
}

/// One snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub system: SystemInfo,
    pub network: NetworkInfo,
    pub hardware: HardwareInfo,
    pub runtime: RuntimeInfo,
    /// Per-mount disk use and network byte counters.
    pub metrics: BTreeMap<String, f64>,
}

impl Host {
    /// The samplers; fails only where the platform offers no system information at all.
    pub fn new() -> anyhow::Result<Self> {
        let system = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing().with_usage())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        )
        .map_err(|e| anyhow::anyhow!("cannot read system information: {e}"))?;
        Ok(Self {
            system,
            // Disks and network interfaces are optional (a minimal container may show none).
            disks: Disks::new_with_refreshed_list()
                .or_else(|_| Disks::new())
                .map_err(|e| anyhow::anyhow!("cannot read disks: {e}"))?,
            networks: Networks::new_with_refreshed_list()
                .or_else(|_| Networks::new())
                .map_err(|e| anyhow::anyhow!("cannot read network interfaces: {e}"))?,
        })
    }

    /// Take a snapshot. The CPU figure covers the time since the previous call (or since
    /// [`Host::new`]).
    pub fn sample(&mut self) -> Snapshot {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        self.disks.refresh(true);
        self.networks.refresh(true);
        let cpu = f64::from(self.system.global_cpu_usage()).clamp(0.0, 100.0);
        let memory_total = self.system.total_memory();
        let memory_used = self.system.used_memory().min(memory_total);
        let mut metrics = BTreeMap::new();
        let (mut disk_total, mut disk_used) = (0u64, 0u64);
        for disk in self.disks.iter().take(MOUNTS_MAX) {
            let total = disk.total_space();
            let used = total.saturating_sub(disk.available_space());
            disk_total += total;
            disk_used += used;
            if total > 0 {
                let mount = disk.mount_point().to_string_lossy();
                let name: String = format!("disk_used_percent:{mount}")
                    .chars()
                    .take(64)
                    .collect();
                metrics.insert(name, used as f64 / total as f64 * 100.0);
            }
        }
        let (mut received, mut transmitted) = (0u64, 0u64);
        for (_, data) in self.networks.iter() {
            received += data.total_received();
            transmitted += data.total_transmitted();
        }
        metrics.insert("network_received_bytes".into(), received as f64);
        metrics.insert("network_transmitted_bytes".into(), transmitted as f64);
        let load = System::load_average().map(|l| l.one).unwrap_or(f64::NAN);
        let cpus = self.system.cpus();
        let pid = std::process::id();
        Snapshot {
            system: SystemInfo {
                os_type: os_type(),
                os_version: System::long_os_version()
                    .ok()
                    .map(|v| v.chars().take(256).collect()),
                hostname: System::host_name()
                    .ok()
                    .filter(|h| !h.is_empty())
                    .map(|h| h.chars().take(255).collect())
                    .unwrap_or_else(|| "unknown".into()),
                kernel_version: System::kernel_version()
                    .ok()
                    .map(|v| v.chars().take(256).collect()),
                uptime_seconds: System::uptime().ok(),
            },
            network: NetworkInfo::default(),
            hardware: HardwareInfo {
                cpu_model: cpus
                    .first()
                    .map(|c| c.brand().trim().chars().take(256).collect::<String>())
                    .filter(|b| !b.is_empty()),
                cpu_cores: u32::try_from(cpus.len()).ok().filter(|n| *n > 0),
                cpu_usage_percent: if cpu.is_finite() { cpu } else { 0.0 },
                load_average_1m: (load.is_finite() && load >= 0.0).then_some(load),
                memory_total_bytes: memory_total,
                memory_used_bytes: memory_used,
                disk_total_bytes: disk_total,
                disk_used_bytes: disk_used.min(disk_total),
            },
            runtime: RuntimeInfo {
                process_id: Some(pid),
                process_uptime_seconds: None,
                thread_count: None,
            },
            metrics,
        }
    }
}

fn os_type() -> OsType {
    match std::env::consts::OS {
        "linux" => OsType::Linux,
        "windows" => OsType::Windows,
        "macos" => OsType::Macos,
        "freebsd" | "openbsd" | "netbsd" => OsType::Unix,
        _ => OsType::Unknown,
    }
}

/// Now, for reports.
pub fn now() -> chrono::DateTime<Utc> {
    Utc::now()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn cpu_is_measured_over_the_interval_and_is_not_zero_under_load() {
        let mut host = Host::new().unwrap();
        std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        host.sample();
        // Keep one core busy for a moment.
        let started = Instant::now();
        let mut x = 0u64;
        while started.elapsed() < Duration::from_millis(600) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let snapshot = host.sample();
        let cpu = snapshot.hardware.cpu_usage_percent;
        assert!(cpu > 0.0 && cpu <= 100.0, "cpu {cpu}");
        let hw = &snapshot.hardware;
        assert!(hw.memory_total_bytes > 0 && hw.memory_used_bytes <= hw.memory_total_bytes);
        assert!(hw.disk_used_bytes <= hw.disk_total_bytes);
        assert!(!snapshot.system.hostname.is_empty());
        assert!(snapshot.metrics.contains_key("network_received_bytes"));
        assert!(snapshot.metrics.keys().all(|k| k.chars().count() <= 64));
    }
}
