# syntax=docker/dockerfile:1

# Build: full dependencies, compile, then drop dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json prisma.config.ts ./
COPY prisma ./prisma
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Run: production dependencies only, as the unprivileged node user.
FROM node:24-bookworm-slim
# Memory defaults measured with `npm run bench -- --soak` (README, Performance): a V8 heap sized to
# the service's ~60 MB live set and small young-generation semi-spaces, so V8 collects before RSS
# grows; two malloc arenas instead of one per thread. Override NODE_OPTIONS to give a bigger heap.
ENV NODE_ENV=production \
    PORT=3000 \
    NODE_OPTIONS="--max-old-space-size=96 --max-semi-space-size=2" \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/prisma ./prisma
# Local mode (AWS_MODE=local) keeps its state here; mount a volume to keep it across containers.
RUN mkdir -p /data/local-aws && chown -R node:node /data
ENV LOCAL_STATE_DIR=/data/local-aws
USER node
# 3000: HTTP API. 8883, 8443, 8080: the local MQTT broker in local mode.
EXPOSE 3000 8883 8443 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Migrations run first, then the server starts (it would also apply them itself unless DATABASE_MIGRATE_ON_START=false).
CMD ["sh", "-c", "node dist/cli/migrate.js && exec node dist/main.js"]
