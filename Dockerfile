# syntax=docker/dockerfile:1.7
# diary-events: one image for every process. The command picks the role:
#   docker run diary-events migrate | scheduler | subscriber | server | status | ...
# Build:  docker build -t diary-events .

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: all dependencies (dev included), cached on the lockfile alone --------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` script runs the build, which needs the sources
# that are not copied yet; the build runs explicitly in the next stage.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts

# ---- build: TypeScript -> dist/ (plus SQL migrations and Lua scripts via copy-assets) -------
FROM deps AS build
COPY . .
RUN npm run build

# ---- runtime: production dependencies and dist/ only, non-root -----------------------------
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="diary-events" \
      org.opencontainers.image.description="Diary summary scheduler, subscribers and API over Redis Pub/Sub or Streams (ADR-0004)" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
    PORT=8080 \
    METRICS_PORT=9464 \
    DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run tsc, which is a devDependency and absent here.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts \
 && printf '#!/bin/sh\nexec node /app/dist/cli.js "$@"\n' > /usr/local/bin/diary-events \
 && chmod 0755 /usr/local/bin/diary-events \
 && mkdir -p /app/data && chown node:node /app/data
COPY --from=build /app/dist ./dist

# The code stays owned by root (read-only to the process); only DATA_DIR is writable.
USER node

# server: API, web UI and /healthz on PORT; /metrics and /readyz on METRICS_PORT (set above), not on PORT.
# scheduler / subscriber: /metrics, /healthz, /readyz on METRICS_PORT.
EXPOSE 8080 9464

# Liveness: whichever of the two ports this role serves must answer /healthz with 2xx.
# (No curl in the slim image; Node 20 has fetch.) One-shot commands (migrate) ignore it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const ports=[process.env.METRICS_PORT||'9464',process.env.PORT||'8080'];Promise.any(ports.map(p=>fetch('http://127.0.0.1:'+p+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>{if(!r.ok)throw new Error(String(r.status))}))).then(()=>process.exit(0),()=>process.exit(1))"]

ENTRYPOINT ["node", "dist/cli.js"]
CMD ["server"]
