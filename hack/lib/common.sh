# shellcheck shell=bash
# Shared helpers for hack/install-*.sh. Sourced, never executed.
#
# Contract of every installer: progress goes to stderr, the absolute path of
# the main installed artefact is the LAST line of stdout, a second run is a
# cache hit that takes seconds.

GANTRY_CACHE="${GANTRY_CACHE:-$HOME/.cache/gantry}"
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GANTRY_CACHE HACK_DIR

log() {
  printf '[%s] %s\n' "${LOG_PREFIX:-hack}" "$*" >&2
}

die() {
  log "error: $*"
  exit 1
}

# Installs Debian packages only when a command is missing, so a fresh CI
# machine gets what it needs and a prepared one is not touched.
ensure_command() {
  local cmd="$1" pkg="$2"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  log "'$cmd' missing; installing Debian package $pkg"
  local sudo=""
  [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$pkg" >&2
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' still missing after installing $pkg"
}

# Serialises installers that write the same cache entry: several engineers and
# test runners may call the same script at once. The lock is released when the
# calling script exits (fd 9 is closed then).
take_lock() {
  local name="$1"
  mkdir -p "$GANTRY_CACHE/locks"
  ensure_command flock util-linux
  exec 9>"$GANTRY_CACHE/locks/$name.lock"
  if ! flock -n 9; then
    log "waiting for another install of $name to finish"
    flock 9
  fi
}

# A fresh empty staging dir next to the final one, so the final `mv` is a
# rename on the same filesystem and a half-finished install is never visible.
staging_dir_for() {
  local final="$1"
  mkdir -p "$(dirname "$final")"
  mktemp -d "${final}.tmp.XXXXXX"
}

# Moves a completed staging dir into place (replacing a stale partial one).
publish_dir() {
  local staging="$1" final="$2"
  rm -rf "$final"
  mv "$staging" "$final"
}

# Builds Go packages with modest priority: the machine is shared and has 2 cores.
# Usage: go_build_into OUTDIR MODULE_DIR PKG...
go_build_into() {
  local outdir="$1" moddir="$2"
  shift 2
  command -v go >/dev/null 2>&1 || die "go is required (go.dev toolchain on PATH)"
  mkdir -p "$outdir"
  (
    cd "$moddir" || exit 1
    # CGO off: static binaries that do not depend on the host's libc headers.
    CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod -buildvcs=false" \
      nice -n 10 go build -trimpath -ldflags='-s -w' -o "$outdir/" "$@"
  ) >&2
}

# Seconds since the script started, for the closing log line.
elapsed() {
  printf '%ss' "$SECONDS"
}
