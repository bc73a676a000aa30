//! The agent's identity: an instance id generated once and kept in the state directory, so a
//! restarted agent reports as the same instance.

use std::path::Path;

use anyhow::Context;

const FILE: &str = "instance-id";

/// The configured id, else the stored one, else a new one (stored for next time).
pub fn instance_id(state_dir: &Path, configured: Option<&str>) -> anyhow::Result<String> {
    if let Some(id) = configured {
        return Ok(id.to_owned());
    }
    let path = state_dir.join(FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let id = text.trim();
        if !id.is_empty() {
            return Ok(id.to_owned());
        }
    }
    std::fs::create_dir_all(state_dir).with_context(|| {
        format!(
            "failed to create the state directory {}",
            state_dir.display()
        )
    })?;
    let id = uuid::Uuid::new_v4().to_string();
    // Write then rename, so a crash never leaves a half-written id behind.
    let partial = state_dir.join(format!("{FILE}.partial"));
    std::fs::write(&partial, format!("{id}\n"))
        .with_context(|| format!("failed to write {}", partial.display()))?;
    std::fs::rename(&partial, &path)
        .with_context(|| format!("failed to store the instance id in {}", path.display()))?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let first = instance_id(&state, None).unwrap();
        assert_eq!(first.len(), 36);
        assert_eq!(
            instance_id(&state, None).unwrap(),
            first,
            "kept across restarts"
        );
        assert_eq!(instance_id(&state, Some("web-1")).unwrap(), "web-1");
    }
}
