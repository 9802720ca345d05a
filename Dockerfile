# The Gantry controller image: `docker build -t gantry:0.1.0 .` at the repository root.
# Runs `gantry controller` (flags from the Helm chart's Deployment args).

# ---- build: all dependencies, compile every workspace, then keep production dependencies only.
FROM node:22-bookworm AS build
WORKDIR /src
# The whole context (see .dockerignore): npm ci needs every workspace's manifest anyway.
COPY . .
# Install scripts are not needed (pure-JS dependencies) and the root `prepare` would compile early.
RUN npm ci --ignore-scripts --no-audit --no-fund
# Only the controller and the packages it references (not e2e/).
RUN npx tsc -b packages/gatewayclass-controller
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# What the runtime needs: root manifest, node_modules (workspace links are relative symlinks into
# packages/), and each workspace's manifest, dist and own node_modules; no sources, no tests, no
# testing/ modules, no bench. The check then proves it: it fails on any test-only file left, and on
# any shipped import of a test-only module or of a package that is not a production dependency.
# packages/gatewayclass-controller/src/image/shipped.test.ts runs the same script without Docker.
RUN node hack/check-shipped.mjs assemble /out && node hack/check-shipped.mjs check /out

# ---- runtime: slim Node, no npm cache, no compiler, a non-root user.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out/ /app/
# 65532: a numeric non-root uid, so `runAsNonRoot` can verify it without a passwd entry.
USER 65532:65532
EXPOSE 18000 9091
ENTRYPOINT ["node", "packages/gatewayclass-controller/dist/cli/main.js", "controller"]
