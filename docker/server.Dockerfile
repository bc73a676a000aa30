# MoniHub API server (Actix). Build from the repository root:
#   docker build -f docker/server.Dockerfile -t monihub/server:0.1.0 .
# The runtime image holds the binary, the C runtime and CA certificates: no shell, no package
# manager, a non-root user. `monihub-server probe` is its health check.

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

FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="monihub-server" \
      org.opencontainers.image.description="MoniHub API server" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/monihub"
COPY --from=build /out/monihub-server /usr/local/bin/monihub-server
USER 65532:65532
ENV MONIHUB_BIND=0.0.0.0:9080 \
    MONIHUB_LOG_FORMAT=json
EXPOSE 9080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/monihub-server", "probe"]
ENTRYPOINT ["/usr/local/bin/monihub-server"]
CMD ["serve"]
