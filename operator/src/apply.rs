//! Writing children: server-side apply under one field manager, and only when the live object
//! differs from what the operator wants, so that a pass over a converged installation makes no
//! mutating request at all.

use std::sync::atomic::{AtomicU64, Ordering};

use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::{Api, Client};
use serde_json::Value;

use crate::children::{MANAGER, content_hash};
use crate::desired::{Kind, Manifest};

/// Annotation on every applied child: the hash of what the operator last applied. A subset check
/// alone cannot see a field the operator stopped setting (a removed env key, say); a changed hash
/// makes the next pass apply, and server-side apply then removes what this manager no longer
/// sets.
pub const APPLIED_HASH: &str = "monihub.aione.tech/applied-hash";

/// `desired` with its [`APPLIED_HASH`] annotation.
pub fn with_applied_hash(desired: &Value) -> Value {
    let bytes = serde_json::to_vec(desired).expect("values serialise");
    let hash = content_hash([bytes.as_slice()]);
    let mut object = desired.clone();
    let metadata = object
        .as_object_mut()
        .expect("manifests are objects")
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    let annotations = metadata
        .as_object_mut()
        .expect("metadata is an object")
        .entry("annotations")
        .or_insert_with(|| Value::Object(Default::default()));
    annotations
        .as_object_mut()
        .expect("annotations are an object")
        .insert(APPLIED_HASH.to_owned(), Value::String(hash));
    object
}

/// Whether `live` already holds everything in `desired`: every field the operator sets has the
/// value it sets (fields the cluster or others add are ignored). Lists must match item by item.
pub fn contains(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (Value::Object(live), Value::Object(desired)) => desired
            .iter()
            .all(|(key, want)| live.get(key).is_some_and(|have| contains(have, want))),
        (Value::Array(live), Value::Array(desired)) => {
            live.len() == desired.len() && live.iter().zip(desired).all(|(l, d)| contains(l, d))
        }
        (live, desired) => live == desired,
    }
}

/// Children of one namespace, through dynamic APIs. Counts its writes.
pub struct Children<'a> {
    client: Client,
    namespace: String,
    writes: &'a AtomicU64,
}

impl<'a> Children<'a> {
    pub fn new(client: Client, namespace: &str, writes: &'a AtomicU64) -> Self {
        Self {
            client,
            namespace: namespace.to_owned(),
            writes,
        }
    }

    fn api(&self, kind: Kind) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &self.namespace, &kind.api_resource())
    }

    /// The live object, if any.
    pub async fn get(&self, kind: Kind, name: &str) -> kube::Result<Option<Value>> {
        Ok(self
            .api(kind)
            .get_opt(name)
            .await?
            .map(|o| serde_json::to_value(o).expect("objects from the API serialise")))
    }

    /// Apply `manifest` unless `live` already holds it. Returns whether it wrote.
    pub async fn apply(&self, manifest: &Manifest, live: Option<&Value>) -> kube::Result<bool> {
        let object = with_applied_hash(&manifest.object);
        if live.is_some_and(|live| contains(live, &object)) {
            return Ok(false);
        }
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.api(manifest.kind)
            .patch(
                &manifest.name,
                &PatchParams::apply(MANAGER).force(),
                &Patch::Apply(&object),
            )
            .await?;
        Ok(true)
    }

    /// Create `manifest` if it does not exist; never patch it (Jobs are immutable attempts).
    pub async fn create(&self, manifest: &Manifest) -> kube::Result<bool> {
        let object: DynamicObject =
            serde_json::from_value(manifest.object.clone()).expect("manifests are objects");
        self.writes.fetch_add(1, Ordering::Relaxed);
        match self
            .api(manifest.kind)
            .create(&PostParams::default(), &object)
            .await
        {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Delete a child (and, for a Job, its pods) if it exists.
    pub async fn delete(&self, kind: Kind, name: &str) -> kube::Result<()> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        };
        match self.api(kind).delete(name, &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Whether `object` (a live child) is controlled by the resource with `uid`.
pub fn owned_by(object: &Value, uid: &str) -> bool {
    object["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_live_object_may_have_more_but_not_different() {
        let desired = json!({"metadata": {"name": "a", "labels": {"x": "1"}},
                             "spec": {"replicas": 2, "ports": [{"port": 80}]}});
        let live = json!({"metadata": {"name": "a", "uid": "u", "labels": {"x": "1", "y": "2"}},
                          "spec": {"replicas": 2, "ports": [{"port": 80, "protocol": "TCP"}],
                                   "strategy": {}}, "status": {}});
        assert!(contains(&live, &desired));
        let mut edited = live.clone();
        edited["spec"]["replicas"] = json!(5);
        assert!(!contains(&edited, &desired), "a hand edit is drift");
        let mut extra = live.clone();
        extra["spec"]["ports"] = json!([{"port": 80}, {"port": 81}]);
        assert!(!contains(&extra, &desired), "lists match item by item");
        let mut missing = live;
        missing["metadata"]["labels"] = json!({"y": "2"});
        assert!(!contains(&missing, &desired));
    }

    #[test]
    fn a_dropped_field_changes_the_applied_hash() {
        let before = json!({"metadata": {"name": "a"}, "data": {"A": "1", "B": "2"}});
        let after = json!({"metadata": {"name": "a"}, "data": {"A": "1"}});
        let live = with_applied_hash(&before);
        assert!(contains(&live, &with_applied_hash(&before)), "converged");
        assert!(
            !contains(&live, &with_applied_hash(&after)),
            "B was dropped from the spec: apply again so server-side apply removes it"
        );
        let annotated = json!({"metadata": {"name": "a", "annotations": {"x": "y"}}});
        assert_eq!(
            with_applied_hash(&annotated)["metadata"]["annotations"]["x"],
            "y"
        );
    }

    #[test]
    fn ownership_is_by_uid() {
        let object = json!({"metadata": {"ownerReferences": [{"uid": "u1"}]}});
        assert!(owned_by(&object, "u1"));
        assert!(!owned_by(&object, "u2"));
        assert!(!owned_by(&json!({"metadata": {}}), "u1"));
    }
}
