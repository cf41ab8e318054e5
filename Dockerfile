# syntax=docker/dockerfile:1.7
# Every image of the exchange, one target each. Build from the repository root (the workspaces
# share one lockfile):
#   docker build --target engine -t play-chacha/engine:$VERSION .
# Targets: engine, gateway, settlement (also the payments service), web.

# The workspace manifests: all npm ci needs to resolve any one workspace.
FROM node:20.20.2-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY engine/package.json engine/
COPY gateway/package.json gateway/
COPY settlement/package.json settlement/
COPY bench/package.json bench/
COPY web/package.json web/

# Each service: the production dependencies of its workspace, and the sources it runs.
FROM manifests AS engine-build
RUN npm ci --omit=dev --workspace engine --include-workspace-root --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY protocol protocol
COPY engine engine

FROM manifests AS gateway-build
RUN npm ci --omit=dev --workspace gateway --include-workspace-root --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY protocol protocol
COPY engine engine
COPY gateway gateway

FROM manifests AS settlement-build
RUN npm ci --omit=dev --workspace settlement --include-workspace-root --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY protocol protocol
COPY engine engine
COPY settlement settlement

# tsx runs the TypeScript sources as they are tested (the repository has no compile step for them).
FROM node:20.20.2-bookworm-slim AS tsx
WORKDIR /opt/tsx
RUN npm install --no-audit --no-fund --ignore-scripts tsx@4.23.15 && npm cache clean --force

# What every service image runs on: a numeric non-root user, tsx, a read-only root filesystem
# (tsx writes its cache under /tmp, a writable volume).
FROM node:20.20.2-bookworm-slim AS service
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system --gid 10001 chacha \
 && useradd --system --uid 10001 --gid chacha --no-create-home --shell /usr/sbin/nologin chacha
COPY --from=tsx --chown=10001:10001 /opt/tsx/node_modules /app/node_modules
USER 10001:10001
ENTRYPOINT ["node", "--import", "tsx"]

# The engine process: one partition (leader or hot standby) with /healthz /readyz /metrics /status on 8081.
FROM service AS engine
COPY --from=engine-build --chown=10001:10001 /app /app
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(\"http://127.0.0.1:8081/healthz\").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["engine/src/main.ts"]

# The gateway: REST (8080), WebSocket (8082), its metrics (8083), and the engine partition in
# process with its side door (8081), which answers once this process leads its partition.
FROM service AS gateway
COPY --from=gateway-build --chown=10001:10001 /app /app
EXPOSE 8080 8081 8082 8083
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(\"http://127.0.0.1:8081/healthz\").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["gateway/src/main.ts"]

# The settlement worker (the ledger) with its side door (/healthz, /readyz, /metrics) on 8084
# (SETTLEMENT_HTTP_PORT); the payments service (args settlement/src/payments/main.ts) listens on
# 8083 and is probed there by the orchestrator.
FROM service AS settlement
COPY --from=settlement-build --chown=10001:10001 /app /app
EXPOSE 8084
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(\"http://127.0.0.1:8084/healthz\").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["settlement/src/main.ts"]

# The web app: SvelteKit built with @sveltejs/adapter-node, served by Node on PORT (3000); its
# server proxies /api to GATEWAY_URL and hands browsers GATEWAY_WS_URL.
FROM manifests AS web-build
RUN npm ci --workspace web --include-workspace-root --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json ./
COPY protocol protocol
COPY web web
RUN npm run build -w web

# Only what the built server imports at run time: its production dependencies and the build.
FROM manifests AS web-deps
RUN npm ci --omit=dev --workspace web --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20.20.2-bookworm-slim AS web
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
RUN groupadd --system --gid 10001 chacha \
 && useradd --system --uid 10001 --gid chacha --no-create-home --shell /usr/sbin/nologin chacha
COPY --from=web-deps --chown=10001:10001 /app/node_modules /app/node_modules
COPY --from=web-build --chown=10001:10001 /app/protocol /app/protocol
COPY --from=web-build --chown=10001:10001 /app/web/package.json /app/web/package.json
COPY --from=web-build --chown=10001:10001 /app/web/build /app/web/build
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(\"http://127.0.0.1:3000/\").then((r) => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "web/build/index.js"]
