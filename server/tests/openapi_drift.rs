//! The committed OpenAPI document (`server/openapi.json`, the source of the console's API types)
//! must match what the server serves. Regenerate it with `cargo xtask gen`.

#[test]
fn committed_openapi_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let current = monihub_server::openapi::document()
        .to_pretty_json()
        .expect("the document serializes");
    assert!(
        committed.trim_end() == current.trim_end(),
        "server/openapi.json is out of date: run `cargo xtask gen` and commit the result"
    );
}
