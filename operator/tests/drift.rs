//! The committed CRD is what the types generate.

#[test]
fn committed_crd_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crds/monihub.aione.tech_monihubs.yaml");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = monihub_operator::crd_yaml().expect("the CRD serialises");
    assert!(
        committed == generated,
        "{} is out of date: run `cargo xtask gen` and commit the result",
        path.display()
    );
}
