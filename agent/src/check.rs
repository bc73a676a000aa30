//! `monihub-agent check`: validate the configuration and reach the server once, saying in plain
//! words what is wrong (bad URL, bad token, TLS, clock skew) and what to do about it.

use std::sync::Arc;

use crate::client::CallError;
use crate::config::Config;
use crate::host::Host;
use crate::logs::LogBuffer;

/// One finding.
#[derive(Debug, PartialEq, Eq)]
pub enum Finding {
    Ok(String),
    Problem(String),
}

/// Plain words for a failed call.
pub fn explain(error: &CallError, server_url: &str) -> String {
    match error {
        CallError::Transport(text) => {
            let lower = text.to_lowercase();
            if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
            {
                format!(
                    "TLS failure talking to {server_url}: {text}. If the server uses a private \
                     CA, point ca_file at its certificate."
                )
            } else if lower.contains("dns") || lower.contains("resolve") || lower.contains("lookup")
            {
                format!("the server's host name does not resolve ({server_url}): {text}")
            } else if lower.contains("refused") {
                format!("nothing listens at {server_url} (connection refused)")
            } else if lower.contains("timed out") || lower.contains("timeout") {
                format!("{server_url} did not answer in time: {text}")
            } else {
                format!("could not reach {server_url}: {text}")
            }
        }
        CallError::Unauthorized(detail) => format!(
            "the server refused the agent token ({detail}). It may have been rotated or mistyped: \
             issue a new one for the application and update MONIHUB_AGENT_TOKEN or token_file."
        ),
        CallError::Forbidden(detail) => {
            format!("the server refused this instance: {detail} (enable it in the console)")
        }
        CallError::Rejected { status, detail } if detail.contains("reported_at") => format!(
            "the server rejected the report's time ({status}: {detail}): this host's clock is off; \
             synchronise it (NTP)"
        ),
        CallError::Rejected { status, detail } => {
            format!("the server rejected the report ({status}): {detail}")
        }
        CallError::Unavailable { status, .. } => {
            format!("the server is up but overloaded or failing ({status}); try again shortly")
        }
        CallError::UnknownInstance => "the server does not know this instance yet".into(),
    }
}

/// Run the checks; every finding in order (a failed one ends the list).
pub async fn check(config: Config) -> Vec<Finding> {
    let mut findings = vec![Finding::Ok(format!(
        "configuration is valid (server {}, {} task type(s) allowed)",
        config.server_url,
        config.tasks.allowed.len()
    ))];
    let id = match crate::identity::instance_id(&config.state_dir, config.instance_id.as_deref()) {
        Ok(id) => id,
        Err(e) => {
            findings.push(Finding::Problem(format!("{e:#}")));
            return findings;
        }
    };
    findings.push(Finding::Ok(format!("instance id {id}")));
    if let Err(e) = config.current_token() {
        findings.push(Finding::Problem(format!("{e:#}")));
        return findings;
    }
    let server_url = config.server_url.clone();
    let agent = match crate::agent::Agent::new(Arc::new(config), LogBuffer::new(1), id) {
        Ok(agent) => agent,
        Err(e) => {
            findings.push(Finding::Problem(format!("{e:#}")));
            return findings;
        }
    };
    let mut host = match Host::new() {
        Ok(host) => host,
        Err(e) => {
            findings.push(Finding::Problem(format!("{e:#}")));
            return findings;
        }
    };
    match agent.report_once(&mut host).await {
        Ok(settings) => {
            findings.push(Finding::Ok(format!(
                "the server accepted a report (interval {} s, tasks {})",
                settings.report_interval_seconds,
                if settings.tasks_enabled { "on" } else { "off" }
            )));
        }
        Err(e) => findings.push(Finding::Problem(explain(&e, &server_url))),
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_explained_with_what_to_do() {
        let url = "https://hub.example.com";
        let tls = explain(
            &CallError::Transport(
                "error sending request: invalid peer certificate: UnknownIssuer".into(),
            ),
            url,
        );
        assert!(tls.contains("TLS failure") && tls.contains("ca_file"));
        let refused = explain(
            &CallError::Transport("tcp connect error: Connection refused (os error 111)".into()),
            url,
        );
        assert!(refused.contains("nothing listens"));
        let token = explain(&CallError::Unauthorized("invalid agent token".into()), url);
        assert!(token.contains("rotated") && token.contains("MONIHUB_AGENT_TOKEN"));
        let clock = explain(
            &CallError::Rejected {
                status: 422,
                detail: "reported_at: more than 300 s away from the server's clock".into(),
            },
            url,
        );
        assert!(clock.contains("clock"));
    }
}
