#!/usr/bin/env bash
# Runs the Gateway API v1.6.1 conformance suite against Gantry (every Gateway profile whose core
# features the GatewayClass claims: GATEWAY-HTTP, GATEWAY-GRPC, ...) and prints
# the report's summary. `npm run test:conformance [-- OPTIONS]`.
#
# The cluster:
#   E2E_CLUSTER=local (default)  the local cluster: hack/cluster-up.sh (idempotent: starts what is
#                                not running, including the Gantry controller) and its KUBECONFIG.
#                                It is left running; `npm run cluster:down` stops it.
#   E2E_CLUSTER=kind             the current kubeconfig's cluster (a kind-* context), with Gantry
#                                installed by hack/kind/up.sh.
#
# Options:
#   --core              only the core features of those profiles, as CI runs it
#   --run-test NAME     only this test (its ShortName, e.g. HTTPRouteSimpleSameNamespace)
#   --skip-tests A,B    skip these tests
#   --timeout DURATION  go test -timeout (default 60m, 30m with --core)
#   --parallel N        how many of the suite's parallel tests run at once (default 6)
#   -- ARGS             more flags for the suite (e.g. -debug, -supported-features=...)
#
# Output in e2e/conformance/out/: conformance.log (the whole go test output), report.yaml (a full
# run: the official report), partial-report.yaml (--core, --run-test, --skip-tests).
# Env: GOFLAGS and the like as usual; E2E_CONFORMANCE_VERSION overrides the reported version.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$here/out"

core=0
run_test=""
skip_tests=""
timeout=""
parallel=6
extra=()
while (($# > 0)); do
  case "$1" in
    --core) core=1 ;;
    --run-test) run_test="${2:?--run-test NAME}"; shift ;;
    --run-test=*) run_test="${1#*=}" ;;
    --skip-tests) skip_tests="${2:?--skip-tests A,B}"; shift ;;
    --skip-tests=*) skip_tests="${1#*=}" ;;
    --timeout) timeout="${2:?--timeout DURATION}"; shift ;;
    --parallel) parallel="${2:?--parallel N}"; shift ;;
    --) shift; extra+=("$@"); break ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ -n "$timeout" ]] || { ((core)) && timeout=30m || timeout=60m; }

log() { printf '[conformance] %s\n' "$*" >&2; }

# GatewayStaticAddresses needs an address the cluster's load balancer can give (-usable-address)
# and one it cannot (-unusable-address). On the local cluster: near the top of the node agent's
# LoadBalancer range (it hands out addresses from the bottom) and just past its end. Elsewhere
# (kind), pass them after `--`; without them the suite skips nothing but the test fails.
static_args=()
static_addresses() {
  local cidr="$1" a b c d bits base size
  [[ "$cidr" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)/([0-9]+)$ ]] || return 0
  a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]} c=${BASH_REMATCH[3]} d=${BASH_REMATCH[4]} bits=${BASH_REMATCH[5]}
  size=$((1 << (32 - bits)))
  base=$((((a << 24) | (b << 16) | (c << 8) | d) & ~(size - 1) & 0xffffffff))
  ip() { printf '%d.%d.%d.%d' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
  static_args=(-usable-address="$(ip $((base + size - 3)))" -unusable-address="$(ip $((base + size + 1)))")
}

case "${E2E_CLUSTER:-local}" in
  local)
    log "local cluster: npm run cluster:up"
    kubeconfig="$(bash "$repo/hack/cluster-up.sh" | tail -n 1)"
    [[ "$kubeconfig" == KUBECONFIG=* ]] || { log "cluster-up printed no KUBECONFIG"; exit 1; }
    export KUBECONFIG="${kubeconfig#KUBECONFIG=}"
    static_addresses "$(sed -n 's/^NODE_LB_CIDR=//p' "${GANTRY_CLUSTER_DIR:-$repo/.cache/cluster}/node-agent.env" 2>/dev/null)"
    ;;
  kind)
    context="$(kubectl config current-context 2>/dev/null || true)"
    [[ "$context" == kind-* ]] || { log "E2E_CLUSTER=kind: the current context is '${context:-none}', not a kind cluster (hack/kind/up.sh)"; exit 1; }
    log "kind cluster: context $context"
    ;;
  *) log "E2E_CLUSTER must be local or kind"; exit 2 ;;
esac

version="${E2E_CONFORMANCE_VERSION:-}"
if [[ -z "$version" ]]; then
  version="v$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$repo/charts/gantry/Chart.yaml")"
  sha="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || true)"
  [[ -n "$sha" ]] && version+="-$sha"
fi

report="$out/report.yaml"
args=(-version="$version")
if ((core)); then
  args+=(-core-only)
fi
[[ -n "$run_test" ]] && args+=(-run-test="$run_test")
[[ -n "$skip_tests" ]] && args+=(-skip-tests="$skip_tests")
if ((core)) || [[ -n "$run_test$skip_tests" ]]; then
  report="$out/partial-report.yaml"
fi
# Ours first: a repeated flag takes the last value, so `-- -usable-address=...` wins.
args+=(-report-output="$report" "${static_args[@]}" "${extra[@]}")

mkdir -p "$out"
rm -f "$report"
log "go test (timeout $timeout, parallel $parallel): ${args[*]}"
log "full output: $out/conformance.log"
start=$SECONDS
# The whole output to the log; on the terminal only each test's verdict, as it comes.
set +e +o pipefail
(cd "$here" && GOFLAGS="${GOFLAGS:--mod=readonly}" go test -count=1 -v -timeout "$timeout" -parallel "$parallel" \
  -run '^TestConformance$' . -args "${args[@]}") 2>&1 |
  tee "$out/conformance.log" |
  grep --line-buffered -E '^ {0,4}--- (PASS|FAIL)|^\s*--- FAIL|^(ok|FAIL|panic)'
status="${PIPESTATUS[0]}"
set -e -o pipefail
log "go test finished in $((SECONDS - start))s (exit $status)"

if [[ -s "$report" ]]; then
  node "$here/summarize.mjs" "$report"
  # The suite records a test with `Parallel: true` as passed when it starts (t.Run returns at its
  # t.Parallel()), so the report can say success while go test failed: name the failures here.
  if ((status != 0)); then
    log "go test failed; failing tests (the report may count them as passed):"
    grep -E '^ {0,4}--- FAIL' "$out/conformance.log" >&2 || true
  fi
else
  log "no report written (see $out/conformance.log)"
  ((status != 0)) || status=1
fi
exit "$status"
