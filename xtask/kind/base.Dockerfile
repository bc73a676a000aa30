# The kind node's base, from Debian's packages: systemd (cgroup v1 and v2), containerd, runc and
# the CNI plugins, plus kind's own static files (entrypoint, units, containerd configuration) taken
# from the kind Go module into `files/`. `cargo xtask kind image` builds it; nothing is pulled.
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      systemd conntrack iptables nftables iproute2 ethtool util-linux mount kmod \
      libseccomp2 pigz e2fsprogs bash ca-certificates curl jq procps socat \
      containerd runc containernetworking-plugins \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/* /var/log/* /tmp/* \
 && find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete \
 && rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
          /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
          /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/* \
 && echo "ReadKMsg=no" >> /etc/systemd/journald.conf \
 && ln -sf /usr/lib/systemd/systemd /sbin/init
COPY files/ /
COPY pre-entrypoint.sh /usr/local/bin/monihub-pre-entrypoint
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# kind's units expect /usr/local/bin/containerd and CNI plugins in /opt/cni/bin; Debian installs
# them elsewhere. Without CAP_SYS_RESOURCE (some hosts cannot grant it) containerd must not ask
# runc for negative OOM scores.
RUN chmod 0755 /usr/local/bin/monihub-pre-entrypoint /usr/local/bin/entrypoint \
      /usr/local/bin/clean-install /kind/bin/* \
 && ln -sf /usr/bin/containerd /usr/local/bin/containerd \
 && mkdir -p /opt/cni/bin /etc/kubernetes/manifests \
 && for p in /usr/lib/cni/*; do ln -sf "$p" /opt/cni/bin/; done \
 && ctr oci spec \
      | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
      | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json \
 && systemctl enable kubelet.service containerd.service undo-mount-hacks.service \
 && systemctl mask systemd-binfmt.service \
 && sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' /etc/containerd/config.toml \
 && grep -q 'restrict_oom_score_adj = true' /etc/containerd/config.toml
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/monihub-pre-entrypoint", "/usr/local/bin/entrypoint", "/sbin/init"]
