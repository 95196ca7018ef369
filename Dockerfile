# syntax=docker/dockerfile:1
# promobot container image: `docker build -t promobot .`
# The image holds no secret: every token and webhook secret comes from the environment or a `*_FILE` at run time.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript with the dev dependencies, which never reach the runtime image ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, the compiled code, git for the deploy repos ----
FROM ${NODE_IMAGE} AS runtime
# git clones and pushes the deploy repos over HTTPS; ca-certificates lets it trust the SCM host.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /src/dist ./dist

# The app files stay root-owned, so the process cannot rewrite its own code; it writes only to the data dir
# (working copies of the deploy repos), which a cluster replaces with an emptyDir.
RUN mkdir -p /var/lib/promobot /etc/promobot/policies \
 && chown node:node /var/lib/promobot
ENV PORT=8080 \
    PROMOBOT_DATA_DIR=/var/lib/promobot \
    PROMOBOT_POLICIES=/etc/promobot/policies \
    HOME=/var/lib/promobot

# The `node` user of the base image (uid 1000); numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080

# Plain Node, because the slim image has no curl. `worker` serves /healthz on PORT as well.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "dist/main.js"]
CMD ["start"]
