//! `monihub-server probe`: one HTTP request to the local server's readiness endpoint, for the
//! health checks of container runtimes (Docker, Compose). The runtime image has no shell and no
//! HTTP client, so the server binary asks itself. Kubernetes uses its own HTTP probes instead.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, bail};

/// Connect, write and read each give up after this long: a health check must not hang.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Succeeds when `GET path` on the server listening at `bind` answers 200.
pub fn probe(bind: &str, path: &str) -> anyhow::Result<()> {
    let addr = target(bind)?;
    if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("the probe path must be an absolute path without spaces, got {path:?}");
    }
    let status = status_of(addr, path)?;
    if status != 200 {
        bail!("http://{addr}{path} answered {status}");
    }
    Ok(())
}

/// The address to connect to: the listen address, with a wildcard host replaced by loopback.
fn target(bind: &str) -> anyhow::Result<SocketAddr> {
    let mut addr: SocketAddr = bind.parse().with_context(|| {
        format!("the listen address must be host:port with an IP host, got {bind:?}")
    })?;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    Ok(addr)
}

fn status_of(addr: SocketAddr, path: &str) -> anyhow::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .with_context(|| format!("nothing answers on {addr}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: monihub-probe\r\n\r\n"
    )?;
    // The status line is all that matters; 64 bytes hold it.
    let mut head = [0u8; 64];
    let mut len = 0;
    while len < head.len() {
        let n = stream
            .read(&mut head[len..])
            .with_context(|| format!("no answer from {addr}"))?;
        if n == 0 {
            break;
        }
        len += n;
        if head[..len].contains(&b'\n') {
            break;
        }
    }
    parse_status(&head[..len]).with_context(|| format!("{addr} did not answer HTTP"))
}

/// The status code of an HTTP/1.x status line.
fn parse_status(head: &[u8]) -> Option<u16> {
    let line = std::str::from_utf8(head).ok()?.lines().next()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use super::*;

    /// A one-shot server on loopback that answers `reply` and returns the request it read.
    fn serve_once(reply: &'static [u8]) -> (String, thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let bind = format!("0.0.0.0:{}", listener.local_addr().unwrap().port());
        let handle = thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = vec![0u8; 1024];
            let n = conn.read(&mut request).unwrap();
            conn.write_all(reply).unwrap();
            String::from_utf8_lossy(&request[..n]).into_owned()
        });
        (bind, handle)
    }

    #[test]
    fn ready_server_passes_and_is_asked_on_loopback() {
        let (bind, server) = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        probe(&bind, "/readyz").unwrap();
        let request = server.join().unwrap();
        assert!(request.starts_with("GET /readyz HTTP/1.1\r\n"), "{request}");
    }

    #[test]
    fn not_ready_server_fails_with_its_status() {
        let (bind, server) = serve_once(b"HTTP/1.1 503 Service Unavailable\r\n\r\n");
        let err = probe(&bind, "/readyz").unwrap_err().to_string();
        assert!(err.contains("answered 503"), "{err}");
        server.join().unwrap();
    }

    #[test]
    fn garbage_is_not_taken_for_health() {
        let (bind, server) = serve_once(b"SSH-2.0-OpenSSH_9.2\r\n");
        let err = format!("{:#}", probe(&bind, "/readyz").unwrap_err());
        assert!(err.contains("did not answer HTTP"), "{err}");
        server.join().unwrap();
    }

    #[test]
    fn closed_port_fails() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = format!(
            "{:#}",
            probe(&format!("127.0.0.1:{port}"), "/readyz").unwrap_err()
        );
        assert!(err.contains("nothing answers"), "{err}");
    }

    #[test]
    fn bad_input_is_refused_before_connecting() {
        assert!(probe("localhost:9080", "/readyz").is_err());
        assert!(probe("127.0.0.1:9080", "readyz").is_err());
        assert!(probe("127.0.0.1:9080", "/ready z").is_err());
    }

    #[test]
    fn status_lines() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(parse_status(b"HTTP/1.0 503 Nope\r\n"), Some(503));
        assert_eq!(parse_status(b"HTTP/2 200\r\n"), None);
        assert_eq!(parse_status(b"HTTP/1.1 20 OK\r\n"), None);
        assert_eq!(parse_status(b""), None);
    }
}
