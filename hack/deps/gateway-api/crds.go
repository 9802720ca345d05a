//go:build tools

// Package deps keeps sigs.k8s.io/gateway-api in go.mod and go.sum: the
// installer copies the CRDs out of that module, and no built program imports it.
package deps

import _ "sigs.k8s.io/gateway-api/apis/v1"
