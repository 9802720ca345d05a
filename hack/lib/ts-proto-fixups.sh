# shellcheck shell=bash
# Small, checked corrections to ts-proto 2.18.0 output. Each one fails loudly if its pattern is no
# longer found, so upgrading ts-proto forces a look at whether it is still needed.
# Source this file, then call `apply_ts_proto_fixups OUT_DIR`.

apply_ts_proto_fixups() {
  local out="$1"
  # With useDuration=string and outputTypeRegistry=true, Duration.fromJSON returns an object
  # without the `$type` the registry needs (and the interface requires). Add it.
  # shellcheck disable=SC2016 # literal TypeScript, nothing to expand
  replace_once "$out/google/protobuf/duration.ts" \
    '    return { seconds, nanos };' \
    '    return { $type: Duration.$type, seconds, nanos };'
}

# replace_once FILE OLD_LINE NEW_LINE: OLD_LINE must occur exactly once, as a whole line.
replace_once() {
  local file="$1" old="$2" new="$3"
  local count
  count="$(grep -cxF -- "$old" "$file" || true)"
  if [[ "$count" != 1 ]]; then
    echo "error: ts-proto fixup expected one line '$old' in $file, found $count" >&2
    return 1
  fi
  OLD="$old" NEW="$new" awk '$0 == ENVIRON["OLD"] { print ENVIRON["NEW"]; next } { print }' "$file" >"$file.fixed"
  mv "$file.fixed" "$file"
}
