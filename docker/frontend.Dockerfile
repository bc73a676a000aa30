# MoniHub console: the built React app served by nginx, which proxies /api/ to the server.
# Build from the repository root:
#   docker build -f docker/frontend.Dockerfile -t monihub/frontend:0.1.0 .
# The site (docker/nginx.conf) is installed as a template: the nginx image's entrypoint fills in
# MONIHUB_UPSTREAM (the server's host:port) at start. On Kubernetes the operator mounts the
# rendered site over /etc/nginx/conf.d instead.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,id=monihub-npm,target=/root/.npm,sharing=locked \
    npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM nginx:1.28-bookworm
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="monihub-frontend" \
      org.opencontainers.image.description="MoniHub console (nginx)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/monihub"
# The image's default site listens on port 80; the entrypoint renders ours into conf.d, which the
# unprivileged nginx user must therefore own.
RUN rm -f /etc/nginx/conf.d/default.conf \
 && chown 101:101 /etc/nginx/conf.d
COPY docker/nginx-main.conf /etc/nginx/nginx.conf
COPY docker/nginx.conf /etc/nginx/templates/default.conf.template
COPY --from=build /src/frontend/dist /usr/share/nginx/html
USER 101:101
ENV MONIHUB_UPSTREAM=server:9080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
