//! `monihub-operator render`: the manifests the operator would apply for a resource, from the
//! same `build` the reconciler uses, for review and GitOps previews. What only the cluster knows
//! is shown as a placeholder: the resource's uid and the generated secret values.

use anyhow::{Context, bail};

use crate::children::{GeneratedSecrets, Release};
use crate::crd::MoniHub;
use crate::desired::{Inputs, build};

/// Stands in for values generated in the cluster.
pub const GENERATED: &str = "(generated in the cluster)";
/// Stands in for the uid the API server assigns.
pub const UID: &str = "(uid of the MoniHub)";

/// Every child of every `MoniHub` in `yaml` (one or more documents), as one YAML stream. A
/// resource without a namespace gets `namespace`.
pub fn render(yaml: &str, namespace: &str) -> anyhow::Result<String> {
    let hubs: Vec<MoniHub> = serde_saphyr::from_multiple(yaml)
        .context("the input is not a list of MoniHub resources")?;
    if hubs.is_empty() {
        bail!("the input holds no MoniHub resource");
    }
    let mut out = String::new();
    for mut hub in hubs {
        let name = hub
            .metadata
            .name
            .clone()
            .context("a MoniHub in the input has no metadata.name")?;
        hub.metadata
            .namespace
            .get_or_insert_with(|| namespace.to_owned());
        hub.metadata.uid.get_or_insert_with(|| UID.to_owned());
        let inputs = Inputs {
            secrets: GeneratedSecrets {
                database_password: GENERATED.to_owned(),
                jwt_secret: GENERATED.to_owned(),
                agent_token: GENERATED.to_owned(),
            },
            serving: Some(Release::target(&hub)),
            migration_attempt: Some(1),
        };
        for manifest in build(&hub, &inputs) {
            out.push_str(&format!("---\n# {name}: {:?} stage\n", manifest.stage));
            out.push_str(&serde_saphyr::to_string(&manifest.object)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_document_with_placeholders() {
        let yaml = "apiVersion: monihub.aione.tech/v1alpha1\nkind: MoniHub\nmetadata: {name: a}\nspec: {version: 1.0.0, database: {managed: {}}}\n---\napiVersion: monihub.aione.tech/v1alpha1\nkind: MoniHub\nmetadata: {name: b, namespace: prod}\nspec: {version: 1.0.0, database: {external: {urlSecretRef: {name: db, key: url}}}}\n";
        let out = render(yaml, "default").unwrap();
        assert!(out.contains("name: a-server"));
        assert!(out.contains("name: b-server"));
        assert!(out.contains("namespace: prod"));
        assert!(out.contains("namespace: default"));
        assert!(out.contains(UID));
        assert!(out.contains("kind: Job"));
        assert!(
            !out.contains("b-postgres"),
            "no database for an external one"
        );
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let err = render("kind: MoniHub\nmetadata: {name: a}\nspec: {}\n", "default").unwrap_err();
        assert!(
            format!("{err:#}").contains("not a list of MoniHub"),
            "{err:#}"
        );
        let err = render(
            "apiVersion: x\nkind: MoniHub\nmetadata: {}\nspec: {version: 1.0.0, database: {managed: {}}}\n",
            "default",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("no metadata.name"));
    }
}
