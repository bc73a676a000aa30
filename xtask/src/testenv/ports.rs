//! Free loopback ports, chosen at start so parallel runs and busy machines do not collide.

use std::net::{Ipv4Addr, TcpListener};

/// Every port the control plane listens on, all on 127.0.0.1.
#[derive(Clone, Copy)]
pub struct Ports {
    pub etcd_client: u16,
    pub etcd_peer: u16,
    pub apiserver: u16,
    pub controller_manager: u16,
    pub scheduler: u16,
}

impl Ports {
    /// Ask the kernel for distinct free ports; the listeners are held until all are chosen so
    /// the same port is never handed out twice.
    pub fn pick() -> anyhow::Result<Self> {
        let listeners = (0..5)
            .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
            .collect::<Result<Vec<_>, _>>()?;
        let ports = listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.port()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            etcd_client: ports[0],
            etcd_peer: ports[1],
            apiserver: ports[2],
            controller_manager: ports[3],
            scheduler: ports[4],
        })
    }
}
