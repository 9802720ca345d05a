# Sourced: installs the npm dependencies (and builds, via the root `prepare` script) unless the
# installed tree is already newer than the lock file.
ensure_node_deps() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "==> npm ci" >&2
    npm ci --no-audit --no-fund >&2
  fi
  echo "==> tsc -b" >&2
  npx tsc -b >&2
  # The one-file `gantry translate` (a no-op when fresh; bin/gantry.js runs dist/ while it is stale).
  node hack/bundle-cli.mjs >&2
}
