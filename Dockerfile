# syntax=docker/dockerfile:1
# One image for every process (gateway, booking, worker, web, migrate); the command picks which
# one runs (see docker-compose.yml and deploy/k8s). Node 22 LTS; the code also runs on Node 20.19+.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json nx.json tsconfig.base.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY apps ./apps
COPY libs ./libs
# The e2e workspace's manifest only, so that `npm ci` finds every workspace the lock names.
COPY e2e/package.json ./e2e/package.json
# postinstall generates the Prisma client (no schema engine needed, see scripts/prisma-generate.mjs)
RUN npm ci --no-audit --no-fund
RUN NX_DAEMON=false NX_TUI=false NX_NO_CLOUD=true npx nx run-many -t build --output-style=static \
 && npm prune --omit=dev --ignore-scripts \
 && rm -rf apps/*/src apps/*/test libs/*/test .nx

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000 3001 3002 3003
# `--import @concert/http/tracing` turns on OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set
# (and does nothing otherwise).
CMD ["node", "--import", "@concert/http/tracing", "apps/gateway/dist/main.js"]
