//! The console: nginx serving the built app and proxying `/api/` to the server Service, with the
//! site configuration (`docker/nginx.conf`, shared with the image and Compose) in a ConfigMap.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, PodTemplateSpec, Service,
    ServicePort, ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::children::{Component, SERVER_PORT, child_name, metadata, selector_labels};
use crate::crd::MoniHub;
use crate::pod::{
    CONFIG_HASH, container_security, empty_dir, http_probe, mount, pod_metadata, pod_spec,
    resources,
};

/// Port nginx listens on inside its pod (unprivileged).
pub const FRONTEND_PORT: u16 = 8080;
/// The site configuration, with `${MONIHUB_UPSTREAM}` for the server's host:port.
pub const NGINX_SITE: &str = include_str!("../../docker/nginx.conf");
/// The ConfigMap key, mounted as `/etc/nginx/conf.d/default.conf`.
pub const SITE_KEY: &str = "default.conf";

/// `monihub/frontend:<version>` unless the spec names an image.
pub fn frontend_image(hub: &MoniHub) -> String {
    hub.spec
        .frontend
        .image
        .clone()
        .unwrap_or_else(|| format!("monihub/frontend:{}", hub.spec.version))
}

/// `<name>-frontend`: the nginx site, pointing `/api/` at `<name>-server`.
pub fn nginx_config(hub: &MoniHub) -> ConfigMap {
    let upstream = format!("{}:{SERVER_PORT}", child_name(hub, "server"));
    ConfigMap {
        metadata: metadata(hub, child_name(hub, "frontend"), Component::Frontend),
        data: Some(BTreeMap::from([(
            SITE_KEY.to_owned(),
            NGINX_SITE.replace("${MONIHUB_UPSTREAM}", &upstream),
        )])),
        ..ConfigMap::default()
    }
}

/// `<name>-frontend`: nginx with a read-only root file system (its cache, pid and temporary
/// directories are empty dirs), the site from the ConfigMap, and the site's hash in the pod
/// template so that a changed site rolls the pods.
pub fn deployment(hub: &MoniHub, site_hash: &str) -> Deployment {
    let frontend = &hub.spec.frontend;
    let container = Container {
        name: "nginx".to_owned(),
        image: Some(frontend_image(hub)),
        ports: Some(vec![ContainerPort {
            name: Some("http".to_owned()),
            container_port: i32::from(FRONTEND_PORT),
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        }]),
        volume_mounts: Some(vec![
            VolumeMount {
                read_only: Some(true),
                ..mount("site", "/etc/nginx/conf.d")
            },
            mount("cache", "/var/cache/nginx"),
            mount("run", "/var/run"),
            mount("tmp", "/tmp"),
        ]),
        liveness_probe: Some(http_probe("/healthz", 10)),
        readiness_probe: Some(http_probe("/healthz", 5)),
        resources: Some(resources(&frontend.resources, "20m", "32Mi")),
        security_context: Some(container_security(true)),
        ..Container::default()
    };
    let mut pod = pod_spec(hub, vec![container]);
    pod.volumes = Some(vec![
        Volume {
            name: "site".to_owned(),
            config_map: Some(ConfigMapVolumeSource {
                name: child_name(hub, "frontend"),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        },
        empty_dir("cache"),
        empty_dir("run"),
        empty_dir("tmp"),
    ]);
    Deployment {
        metadata: metadata(hub, child_name(hub, "frontend"), Component::Frontend),
        spec: Some(DeploymentSpec {
            replicas: Some(frontend.replicas),
            selector: LabelSelector {
                match_labels: Some(selector_labels(hub, Component::Frontend)),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(pod_metadata(
                    hub,
                    Component::Frontend,
                    BTreeMap::from([(CONFIG_HASH.to_owned(), site_hash.to_owned())]),
                )),
                spec: Some(pod),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// `<name>-frontend`: the Service users (or the Ingress) reach the console through.
pub fn service(hub: &MoniHub) -> Service {
    let spec = &hub.spec.frontend.service;
    let mut meta = metadata(hub, child_name(hub, "frontend"), Component::Frontend);
    meta.annotations = (!spec.annotations.is_empty()).then(|| spec.annotations.clone());
    Service {
        metadata: meta,
        spec: Some(ServiceSpec {
            type_: Some(spec.type_.as_str().to_owned()),
            selector: Some(selector_labels(hub, Component::Frontend)),
            ports: Some(vec![ServicePort {
                name: Some("http".to_owned()),
                port: 80,
                target_port: Some(IntOrString::String("http".to_owned())),
                protocol: Some("TCP".to_owned()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::test_hub as hub;

    #[test]
    fn the_site_proxies_the_api_to_this_resources_server() {
        let h = hub(serde_json::json!({"version": "1.2.3", "database": {"managed": {}}}));
        let site = &nginx_config(&h).data.unwrap()[SITE_KEY];
        assert!(site.contains("proxy_pass http://hub-server:8080;"));
        assert!(!site.contains("${"), "every placeholder is substituted");
        assert!(site.contains("location = /healthz"));
    }

    #[test]
    fn nginx_runs_read_only_with_its_site_mounted() {
        let h = hub(
            serde_json::json!({"version": "1.2.3", "database": {"managed": {}},
            "frontend": {"replicas": 2}}),
        );
        let d = deployment(&h, "h1");
        let spec = d.spec.as_ref().unwrap();
        assert_eq!(spec.replicas, Some(2));
        let pod = spec.template.spec.as_ref().unwrap();
        let c = &pod.containers[0];
        assert_eq!(c.image.as_deref(), Some("monihub/frontend:1.2.3"));
        assert_eq!(
            c.security_context
                .as_ref()
                .unwrap()
                .read_only_root_filesystem,
            Some(true)
        );
        let mounts: Vec<_> = c
            .volume_mounts
            .iter()
            .flatten()
            .map(|m| m.mount_path.as_str())
            .collect();
        assert_eq!(
            mounts,
            ["/etc/nginx/conf.d", "/var/cache/nginx", "/var/run", "/tmp"]
        );
        let volumes = pod.volumes.as_ref().unwrap();
        assert_eq!(volumes[0].config_map.as_ref().unwrap().name, "hub-frontend");
        assert_eq!(service(&h).spec.unwrap().ports.unwrap()[0].port, 80);
    }

    /// nginx itself accepts the site (the operator's substitution included). Needs Debian's
    /// nginx, which CI installs; the upstream is pointed at loopback because `nginx -t` resolves it.
    #[test]
    fn nginx_accepts_the_site() {
        let dir = tempfile::tempdir().unwrap();
        let site = NGINX_SITE.replace("${MONIHUB_UPSTREAM}", "127.0.0.1:9");
        std::fs::write(dir.path().join("site.conf"), site).unwrap();
        let main = format!(
            "pid {0}/nginx.pid;\nerror_log {0}/error.log;\nevents {{}}\nhttp {{\n  access_log off;\n  include {0}/site.conf;\n}}\n",
            dir.path().display()
        );
        std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
        let nginx = ["/usr/sbin/nginx", "nginx"]
            .into_iter()
            .find(|p| std::process::Command::new(p).arg("-v").output().is_ok())
            .expect("nginx must be installed (apt-get install nginx-light)");
        let out = std::process::Command::new(nginx)
            .arg("-t")
            .arg("-q")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "nginx rejected the site: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
