# shellcheck shell=bash
# Stages the Envoy API .proto files shipped in the pinned npm package @grpc/grpc-js-xds into a
# scratch directory, patching the copy (never node_modules) so that strict protoc accepts it.
# Source this file, then call `stage_proto_sources REPO_ROOT DEST`; it sets PROTO_INCLUDES to the
# include roots (-I arguments) below DEST.

XDS_PROTO_PACKAGE="@grpc/grpc-js-xds"
XDS_PROTO_PACKAGE_VERSION="1.14.1"

stage_proto_sources() {
  local root="$1" dest="$2"
  local pkg="$root/node_modules/$XDS_PROTO_PACKAGE"
  local found
  found="$(node -p "require('$pkg/package.json').version" 2>/dev/null || true)"
  if [[ "$found" != "$XDS_PROTO_PACKAGE_VERSION" ]]; then
    echo "error: expected $XDS_PROTO_PACKAGE@$XDS_PROTO_PACKAGE_VERSION in node_modules, found '${found:-none}' (run npm ci)" >&2
    return 1
  fi
  local d
  # shellcheck disable=SC2034 # read by the sourcing script
  PROTO_INCLUDES=()
  for d in envoy-api googleapis protoc-gen-validate xds; do
    cp -R "$pkg/deps/$d" "$dest/$d"
    PROTO_INCLUDES+=("-I$dest/$d")
  done
  patch_validate_proto "$dest/protoc-gen-validate/validate/validate.proto"
}

# The bundled validate.proto predates StringRules.ignore_empty, which the bundled Envoy protos
# already set (e.g. envoy/config/core/v3/protocol.proto). Upstream PGV defines it as field 26.
patch_validate_proto() {
  local file="$1"
  if awk '/^message StringRules/,/^}/' "$file" | grep -q 'ignore_empty'; then
    return 0
  fi
  local before
  before="$(cksum <"$file")"
  awk '
    /^message StringRules/ { in_rules = 1 }
    in_rules && /^}/ {
      print "    // Added by Gantry (hack/lib/proto-sources.sh): present upstream, used by Envoy protos."
      print "    optional bool ignore_empty = 26;"
      in_rules = 0
    }
    { print }
  ' "$file" >"$file.patched"
  mv "$file.patched" "$file"
  if [[ "$(cksum <"$file")" == "$before" ]]; then
    echo "error: could not patch StringRules.ignore_empty into $file" >&2
    return 1
  fi
}
