//! Just enough HTTP for the fuzz harness to wait for the server and sign in: HTTP/1.0 over a
//! loopback socket, so the server answers with a plain body that ends when the connection does.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use anyhow::{Context, bail};

/// How long one request may take before the harness gives up on it.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Status and body of one answer.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// `GET path`, with a bearer token when one is given.
pub fn get(port: u16, path: &str, bearer: Option<&str>) -> anyhow::Result<Response> {
    let auth = bearer
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    send(
        port,
        &format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}\r\n"),
    )
}

/// `POST path` with a JSON body.
pub fn post_json(port: u16, path: &str, body: &serde_json::Value) -> anyhow::Result<Response> {
    let body = body.to_string();
    send(
        port,
        &format!(
            "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn send(port: u16, request: &str) -> anyhow::Result<Response> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

/// Split a whole HTTP/1.x answer into status code and body.
fn parse_response(raw: &[u8]) -> anyhow::Result<Response> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("the answer has no end of headers")?;
    let status_line = head.lines().next().unwrap_or_default();
    let mut parts = status_line.split_whitespace();
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        bail!("malformed status line {status_line:?}");
    };
    if !version.starts_with("HTTP/1.") {
        bail!("not an HTTP/1 answer: {status_line:?}");
    }
    if head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:"))
    {
        bail!("unexpected transfer encoding in an answer to HTTP/1.0: {status_line:?}");
    }
    let status = code
        .parse()
        .with_context(|| format!("malformed status code in {status_line:?}"))?;
    Ok(Response {
        status,
        body: body.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_and_body() {
        let raw = b"HTTP/1.0 200 OK\r\ncontent-type: application/json\r\ncontent-length: 18\r\n\r\n{\"status\":\"ready\"}";
        assert_eq!(
            parse_response(raw).unwrap(),
            Response {
                status: 200,
                body: "{\"status\":\"ready\"}".into()
            }
        );
    }

    #[test]
    fn keeps_blank_lines_inside_the_body() {
        let raw = b"HTTP/1.1 503 Service Unavailable\r\n\r\na\r\n\r\nb";
        let response = parse_response(raw).unwrap();
        assert_eq!(response.status, 503);
        assert_eq!(response.body, "a\r\n\r\nb");
    }

    #[test]
    fn rejects_truncated_and_chunked_answers() {
        assert!(parse_response(b"HTTP/1.0 200 OK\r\ncontent-length: 3").is_err());
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc")
                .is_err()
        );
    }
}
