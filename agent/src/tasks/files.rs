//! `file_manager`: list, download, upload and delete — only under the configured roots. A path
//! must be absolute, may not contain `..`, and must still be under a root once every symlink in
//! it is resolved, so a link pointing out of a root is refused like the path it points to.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine as _;
use futures::StreamExt;
use monihub_agent_protocol::task::{FileManager, FileOperation};
use serde_json::json;
use tokio::io::AsyncWriteExt;

/// Why a path is refused (a policy decision, reported as `refused`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// The path to act on, after the checks above. For a `download` the file may not exist yet:
/// its directory must.
pub fn confine(
    roots: &[PathBuf],
    requested: &str,
    may_be_missing: bool,
) -> Result<PathBuf, Refusal> {
    if roots.is_empty() {
        return Err(Refusal(
            "this agent has no file roots (tasks.file_roots), so file tasks cannot run".into(),
        ));
    }
    let path = Path::new(requested);
    if !path.is_absolute() {
        return Err(Refusal(format!("{requested} is not an absolute path")));
    }
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(Refusal(format!("{requested} contains `..`")));
    }
    let resolved = match path.canonicalize() {
        Ok(resolved) => resolved,
        Err(_) if may_be_missing => {
            let parent = path
                .parent()
                .ok_or_else(|| Refusal(format!("{requested} has no parent directory")))?;
            let name = path
                .file_name()
                .ok_or_else(|| Refusal(format!("{requested} names no file")))?;
            parent
                .canonicalize()
                .map_err(|e| Refusal(format!("{}: {e}", parent.display())))?
                .join(name)
        }
        Err(e) => return Err(Refusal(format!("{requested}: {e}"))),
    };
    let inside = roots.iter().any(|root| {
        root.canonicalize()
            .is_ok_and(|root| resolved.starts_with(&root))
    });
    if !inside {
        return Err(Refusal(format!(
            "{requested} is outside the agent's file roots ({})",
            roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(resolved)
}

/// The largest file `upload` can send back inside a task result (the result's output holds at
/// most 131,072 characters, base64 grows data by a third, and the JSON around it needs room).
pub const UPLOAD_MAX: u64 = 96 * 1024;

/// Run a file task; `Err(Refusal)` for a policy refusal, other errors for failures.
pub async fn run(
    roots: &[PathBuf],
    task: &FileManager,
    file_limit: u64,
    http: &reqwest::Client,
) -> anyhow::Result<String> {
    match task.operation {
        FileOperation::List => {
            let dir = confine(roots, &task.path, false)?;
            let mut entries = tokio::fs::read_dir(&dir)
                .await
                .with_context(|| format!("failed to list {}", dir.display()))?;
            let mut out = Vec::new();
            while let Some(entry) = entries.next_entry().await? {
                let meta = entry.metadata().await.ok();
                out.push(json!({
                    "name": entry.file_name().to_string_lossy(),
                    "type": match &meta {
                        Some(m) if m.is_dir() => "directory",
                        Some(m) if m.is_symlink() => "symlink",
                        Some(_) => "file",
                        None => "unknown",
                    },
                    "size": meta.as_ref().map(|m| m.len()),
                }));
                if out.len() >= 1000 {
                    break;
                }
            }
            out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
            Ok(serde_json::to_string(&out)?)
        }
        FileOperation::Delete => {
            let file = confine(roots, &task.path, false)?;
            if file.is_dir() {
                return Err(Refusal(format!(
                    "{} is a directory; only files are deleted",
                    file.display()
                ))
                .into());
            }
            tokio::fs::remove_file(&file)
                .await
                .with_context(|| format!("failed to delete {}", file.display()))?;
            Ok(json!({"deleted": file}).to_string())
        }
        FileOperation::Upload => {
            let file = confine(roots, &task.path, false)?;
            let size = tokio::fs::metadata(&file).await?.len();
            if size > UPLOAD_MAX {
                bail!(
                    "{} is {size} bytes; files up to {UPLOAD_MAX} bytes can be sent back",
                    file.display()
                );
            }
            let bytes = tokio::fs::read(&file).await?;
            Ok(json!({
                "path": file,
                "size": bytes.len(),
                "content_base64": base64::engine::general_purpose::STANDARD.encode(&bytes),
            })
            .to_string())
        }
        FileOperation::Download => {
            let target = confine(roots, &task.path, true)?;
            let url = task.url.as_deref().context("a download needs a url")?;
            let response = http
                .get(url)
                .send()
                .await
                .with_context(|| format!("failed to fetch {url}"))?
                .error_for_status()
                .with_context(|| format!("failed to fetch {url}"))?;
            // Into a temporary file beside the target, renamed into place when complete.
            let partial = target.with_extension("monihub-partial");
            let mut file = tokio::fs::File::create(&partial)
                .await
                .with_context(|| format!("failed to create {}", partial.display()))?;
            let mut written = 0u64;
            let mut body = response.bytes_stream();
            while let Some(chunk) = body.next().await {
                let chunk = chunk.with_context(|| format!("failed to fetch {url}"))?;
                written += chunk.len() as u64;
                if written > file_limit {
                    drop(file);
                    let _ = tokio::fs::remove_file(&partial).await;
                    bail!("{url} is larger than the agent's limit of {file_limit} bytes");
                }
                file.write_all(&chunk).await?;
            }
            file.sync_all().await?;
            tokio::fs::rename(&partial, &target)
                .await
                .with_context(|| format!("failed to move the download to {}", target.display()))?;
            Ok(json!({"path": target, "size": written}).to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_confined_to_the_roots() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("logs")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("logs/app.log"), "x").unwrap();
        std::fs::write(outside.join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("escape")).unwrap();
        let roots = vec![root.clone()];
        let ok = |p: &Path| confine(&roots, p.to_str().unwrap(), false);
        assert!(ok(&root.join("logs/app.log")).is_ok());
        let refused = |p: &str, missing: bool| confine(&roots, p, missing).unwrap_err().0;
        assert!(
            refused(
                &format!("{}/logs/../../outside/secret", root.display()),
                false
            )
            .contains("..")
        );
        assert!(refused("relative/app.log", false).contains("not an absolute path"));
        assert!(refused(outside.join("secret").to_str().unwrap(), false).contains("outside"));
        assert!(
            refused(root.join("escape/secret").to_str().unwrap(), false).contains("outside"),
            "a symlink out of the root is refused"
        );
        assert!(
            refused(root.join("escape/new-file").to_str().unwrap(), true).contains("outside"),
            "a download through a symlink out of the root is refused"
        );
        assert!(confine(&roots, root.join("logs/new.log").to_str().unwrap(), true).is_ok());
        assert!(
            confine(&[], "/tmp", false)
                .unwrap_err()
                .0
                .contains("no file roots")
        );
    }
}
