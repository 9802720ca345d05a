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
    # A child's flock on the inherited fd 9 locks it for this script too.
    run_with_progress "waiting for another install of $name" flock 9
  fi
}

# Runs "$@" and, while it runs, logs that it still does every GANTRY_PROGRESS_SECONDS (30):
# a Go build of Kubernetes prints nothing for 5 to 20 minutes, which reads like a hang (and
# CI systems kill jobs that are silent too long). Returns the command's exit status.
# Usage: run_with_progress LABEL COMMAND...
run_with_progress() {
  local label="$1"
  shift
  local every="${GANTRY_PROGRESS_SECONDS:-30}" start pid ticker rc=0
  start="$(date +%s)"
  "$@" &
  pid=$!
  (
    # Its sleep ends with it: no stray process after the command is done.
    trap 'kill "${nap:-}" 2>/dev/null; exit 0' TERM
    while :; do
      sleep "$every" &
      nap=$!
      wait "$nap"
      kill -0 "$pid" 2>/dev/null || exit 0
      log "$label: still running, $(($(date +%s) - start))s so far"
    done
  ) &
  ticker=$!
  wait "$pid" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  return "$rc"
}

# A fresh empty staging dir next to the final one, so the final `mv` is a
# rename on the same filesystem and a half-finished install is never visible.
# Call it holding the lock: leftovers of a killed earlier run are swept here.
staging_dir_for() {
  local final="$1"
  mkdir -p "$(dirname "$final")"
  rm -rf "${final}".tmp.*
  mktemp -d "${final}.tmp.XXXXXX"
}

# Moves a completed staging dir into place (replacing a stale partial one).
publish_dir() {
  local staging="$1" final="$2"
  rm -rf "$final"
  mv "$staging" "$final"
}

# Builds Go main packages of a pinned module (hack/deps/NAME, go.mod + go.sum
# committed) with modest priority: the machine is shared and has 2 cores.
# -mod=readonly makes the committed go.sum the pin: a drifted graph fails.
# Usage: go_build_into OUTDIR MODULE_DIR LDFLAGS PKG...
go_build_into() {
  local outdir="$1" moddir="$2" ldflags="$3"
  shift 3
  ensure_go
  mkdir -p "$outdir"
  (
    cd "$moddir" || exit 1
    # CGO off: static binaries that need no C toolchain or libc headers.
    CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
      run_with_progress "go build $(basename "$moddir")" \
      nice -n 10 go build -trimpath -ldflags="-s -w $ldflags" -o "$outdir/" "$@"
  ) >&2
}

ensure_go() {
  command -v go >/dev/null 2>&1 ||
    die "go is required on PATH (a Go toolchain; newer ones are fetched by GOTOOLCHAIN=auto)"
}

# A fingerprint of everything that decides a Go build's output, so a cached
# build is reused only while go.mod, go.sum, the flags and the toolchain agree.
# Usage: go_build_fingerprint MODULE_DIR EXTRA...
go_build_fingerprint() {
  local moddir="$1"
  shift
  ensure_go
  {
    cat "$moddir/go.mod" "$moddir/go.sum"
    (cd "$moddir" && go env GOVERSION GOOS GOARCH)
    printf '%s\n' "$@"
  } | sha256sum | cut -d' ' -f1
}

# True when DIR holds a completed install with the given fingerprint.
is_installed() {
  local dir="$1" fingerprint="$2"
  [[ -f "$dir/.complete" && "$(cat "$dir/.complete")" == "$fingerprint" ]]
}

# The whole install of Go programs from a pinned module in hack/deps/:
# reuse the cache when the fingerprint matches, otherwise build into a staging
# dir, let the caller's FINALIZE function check/rename things in it (it gets
# the staging dir as $1), stamp and publish. Binaries land in INSTALL_DIR/bin.
# Usage: install_go_tools LABEL INSTALL_DIR MODULE_DIR LDFLAGS FINALIZE PKG...
install_go_tools() {
  local label="$1" install_dir="$2" moddir="$3" ldflags="$4" finalize="$5"
  shift 5
  local fingerprint
  fingerprint="$(go_build_fingerprint "$moddir" "$ldflags" "$@")"
  if ! is_installed "$install_dir" "$fingerprint"; then
    take_lock "$(basename "$(dirname "$install_dir")")-$(basename "$install_dir")"
  fi
  if is_installed "$install_dir" "$fingerprint"; then
    log "cached: $label"
    return 0
  fi
  log "building $label into $install_dir"
  local staging
  staging="$(staging_dir_for "$install_dir")"
  # Global on purpose: the EXIT trap runs after this function has returned.
  _gantry_staging="$staging"
  trap 'rm -rf "$_gantry_staging"' EXIT
  go_build_into "$staging/bin" "$moddir" "$ldflags" "$@"
  "$finalize" "$staging"
  printf '%s\n' "$fingerprint" >"$staging/.complete"
  publish_dir "$staging" "$install_dir"
  trap - EXIT
  log "built $label in $(elapsed)"
}

# Seconds since the script started, for the closing log line.
elapsed() {
  printf '%ss' "$SECONDS"
}
