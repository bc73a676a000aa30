//! Storage for StatefulSets: there is no kubelet and no provisioner, so claims are satisfied by
//! pre-created static PersistentVolumes that the controller-manager's PV binder hands out.
//!
//! The default StorageClass `standard` uses `kubernetes.io/no-provisioner` with immediate
//! binding, so a claim without a class (or with `standard`) binds to a free volume at once and
//! the scheduler never waits for it. Volumes are `Retain`: a released volume is not reused within
//! one run, which is why there are plenty of them.

use std::fmt::Write as _;
use std::path::Path;

/// Static volumes created at start; each run of the control plane starts from a fresh etcd.
pub const VOLUMES: usize = 48;
/// Large enough for any claim a test makes.
const CAPACITY: &str = "100Gi";

/// The default StorageClass and the static PersistentVolumes.
pub fn manifest(volume_root: &Path) -> String {
    let mut out = String::from(
        "---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: \"true\"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
reclaimPolicy: Retain
",
    );
    for i in 0..VOLUMES {
        // The path is never mounted (no kubelet); it only has to be unique and plausible.
        let _ = write!(
            out,
            "---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: testenv-pv-{i:03}
  labels:
    monihub.dev/testenv: static
spec:
  storageClassName: standard
  capacity:
    storage: {CAPACITY}
  accessModes: [ReadWriteOnce, ReadOnlyMany, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
  hostPath:
    path: {root}/pv-{i:03}
",
            root = volume_root.display()
        );
    }
    out
}
