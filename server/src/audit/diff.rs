//! A field-level diff between two JSON documents, for the audit detail view.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// How a field changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    Added,
    Removed,
    Changed,
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DiffEntry {
    /// JSON-pointer-like path, e.g. `/name` or `/tech_stacks`.
    pub path: String,
    pub kind: DiffKind,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Compares objects key by key (recursively); arrays and scalars are compared whole.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<DiffEntry> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn walk(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<DiffEntry>) {
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                walk(&format!("{path}/{key}"), a.get(key), b.get(key), out);
            }
        }
        (Some(a), Some(b)) if a == b => {}
        (None, None) => {}
        (a, b) => out.push(DiffEntry {
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            kind: match (a, b) {
                (None, _) => DiffKind::Added,
                (_, None) => DiffKind::Removed,
                _ => DiffKind::Changed,
            },
            before: a.cloned(),
            after: b.cloned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_added_removed_and_changed_fields() {
        let before = json!({"name": "a", "gone": 1, "same": true, "nested": {"x": 1}});
        let after = json!({"name": "b", "new": [1], "same": true, "nested": {"x": 2}});
        let d = diff(Some(&before), Some(&after));
        let summary: Vec<(&str, DiffKind)> = d.iter().map(|e| (e.path.as_str(), e.kind)).collect();
        assert_eq!(
            summary,
            vec![
                ("/gone", DiffKind::Removed),
                ("/name", DiffKind::Changed),
                ("/nested/x", DiffKind::Changed),
                ("/new", DiffKind::Added),
            ]
        );
    }

    #[test]
    fn creation_and_deletion_are_whole_document_changes() {
        let doc = json!({"a": 1});
        assert_eq!(diff(None, Some(&doc))[0].kind, DiffKind::Added);
        assert_eq!(diff(Some(&doc), None)[0].kind, DiffKind::Removed);
        assert!(diff(Some(&doc), Some(&doc)).is_empty());
    }
}
