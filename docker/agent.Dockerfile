# MoniHub host agent. Build from the repository root:
#   docker build -f docker/agent.Dockerfile -t monihub/agent:0.1.0 .
# Unlike the server's image this one keeps a shell and core utilities: `shell_exec` tasks, when
# the agent's own configuration allows them, run through /bin/sh.

ARG RUST_VERSION=1.95

# The build stage is byte-identical in server.Dockerfile, operator.Dockerfile and agent.Dockerfile:
# it compiles all three binaries at once, so whichever image is built first leaves a cached layer
# the other two reuse. Downloaded crates and compiled dependencies live in BuildKit cache mounts,
# so a source change recompiles MoniHub's own crates only.
FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
# The workspace: every member's manifest must be present for cargo to load it. The operator
# compiles in the console's nginx site and the RBAC rules its preflight checks.
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY server server
COPY agent agent
COPY operator operator
# xtask (development automation) only needs its manifest: cargo loads every member.
COPY xtask/Cargo.toml xtask/Cargo.toml
RUN mkdir -p xtask/src && echo 'fn main() {}' > xtask/src/main.rs
COPY docker/nginx.conf docker/nginx.conf
COPY helm/monihub-operator/files helm/monihub-operator/files
RUN --mount=type=cache,id=monihub-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=monihub-cargo-target,target=/src/target,sharing=locked \
    cargo build --release --locked -p monihub-server -p monihub-operator -p monihub-agent \
 && mkdir -p /out \
 && install -m 0755 target/release/monihub-server target/release/monihub-operator \
      target/release/monihub-agent /out/

FROM debian:bookworm-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="monihub-agent" \
      org.opencontainers.image.description="MoniHub host agent" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/monihub"
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/monihub-agent --create-home monihub-agent
COPY --from=build /out/monihub-agent /usr/local/bin/monihub-agent
USER 10001:10001
ENV MONIHUB_AGENT_STATE_DIR=/var/lib/monihub-agent
ENTRYPOINT ["/usr/local/bin/monihub-agent"]
CMD ["run"]
