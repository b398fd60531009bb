# syntax=docker/dockerfile:1
# One image for the three services; `command` picks which one runs (see docker-compose.yml).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json nx.json tsconfig.base.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY apps ./apps
COPY libs ./libs
# postinstall generates the Prisma client (no schema engine needed, see scripts/prisma-generate.mjs)
RUN npm ci --no-audit --no-fund
RUN NX_DAEMON=false NX_TUI=false NX_NO_CLOUD=true npx nx run-many -t build --output-style=static \
 && npm prune --omit=dev --ignore-scripts \
 && rm -rf apps/*/src apps/*/test libs/*/test .nx

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# Where compose keeps the token key pair; a fresh named volume takes this owner.
RUN mkdir -p /run/keys && chown node:node /run/keys
USER node
EXPOSE 3000 3001 3002
CMD ["node", "apps/gateway/dist/main.js"]
