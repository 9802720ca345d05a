# The Gantry controller image: `docker build -t gantry:0.1.0 .` at the repository root.
# Runs `gantry controller` (flags from the Helm chart's Deployment args).

# ---- build: all dependencies, compile every workspace, then keep production dependencies only.
FROM node:20-bookworm AS build
WORKDIR /src
# The whole context (see .dockerignore): npm ci needs every workspace's manifest anyway.
COPY . .
# Install scripts are not needed (pure-JS dependencies) and the root `prepare` would compile early.
RUN npm ci --ignore-scripts --no-audit --no-fund
# Only the controller and the packages it references (not e2e/).
RUN npx tsc -b packages/gatewayclass-controller
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# What the runtime needs: root manifest, node_modules (workspace links are relative symlinks into
# packages/), and each workspace's manifest, dist and own node_modules; no sources, no tests.
RUN set -eu; \
    mkdir -p /out/packages; \
    cp -a package.json node_modules /out/; \
    for p in packages/*/; do \
      p="${p%/}"; mkdir -p "/out/$p"; \
      cp -a "$p/package.json" "$p/dist" "/out/$p/"; \
      if [ -d "$p/node_modules" ]; then cp -a "$p/node_modules" "/out/$p/"; fi; \
    done; \
    find /out/packages -path '*/dist/*' \( -name '*.test.js' -o -name '*.test.d.ts' -o -name '*.tsbuildinfo' \) -delete

# ---- runtime: slim Node, no npm cache, no compiler, a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out/ /app/
# 65532: a numeric non-root uid, so `runAsNonRoot` can verify it without a passwd entry.
USER 65532:65532
EXPOSE 18000 9091
ENTRYPOINT ["node", "packages/gatewayclass-controller/dist/cli/main.js", "controller"]
