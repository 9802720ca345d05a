# shellcheck shell=bash
# How Gantry is installed from charts/gantry, shared by the local cluster (lib/gantry-local.sh:
# `helm template` and a local controller; lib/gantry-helm.sh: `helm install`) and the kind path
# (hack/kind/up.sh: `helm install`), so all hold the same release, namespace and GatewayClass.
# Sourced, never executed.

# shellcheck disable=SC2034 # used by the scripts that source this
GANTRY_RELEASE=gantry
# shellcheck disable=SC2034
GANTRY_NAMESPACE=gantry-system
# The chart's default GatewayClass (values gatewayClass.name), the one the conformance runner uses.
# shellcheck disable=SC2034
GANTRY_GATEWAY_CLASS=gantry
