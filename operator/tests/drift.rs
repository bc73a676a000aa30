//! The committed CRD, and the Helm chart's copy of it, are what the types generate.

use std::path::Path;

fn assert_current(relative: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = monihub_operator::crd_yaml().expect("the CRD serialises");
    assert!(
        committed == generated,
        "{} is out of date: run `cargo xtask gen` and commit the result",
        path.display()
    );
}

#[test]
fn committed_crd_is_current() {
    assert_current("../crds/monihub.aione.tech_monihubs.yaml");
}

#[test]
fn chart_crd_is_current() {
    assert_current("../helm/monihub-operator/files/crds/monihub.aione.tech_monihubs.yaml");
}
