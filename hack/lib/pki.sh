# shellcheck shell=bash
# The PKI of a local control plane (hack/cluster-up.sh and the TypeScript test
# fixture both come through here). Sourced, never executed.
#
# pki_ensure DIR creates, once, in DIR:
#   ca.crt ca.key                       the cluster CA (also signs CSRs)
#   apiserver.crt apiserver.key         serving cert: 127.0.0.1, ::1, localhost,
#                                       kubernetes.default.svc..., the service IP
#   admin.crt admin.key                 client cert, group system:masters
#   controller-manager.crt/.key         client cert, system:kube-controller-manager
#   apiserver-kubelet-client.crt/.key   what the API server shows a node agent
#   sa.key sa.pub                       service account token signing pair
# A complete, unexpired set is reused as is; anything else is regenerated as a
# whole, so a leaf never outlives the CA that signed it.
#
# ECDSA P-256 throughout: key generation is instant, which keeps a fresh test
# control plane fast to start. Keys are written mode 0600 and never printed.

PKI_SERVICE_IP="${PKI_SERVICE_IP:-10.96.0.1}" # first address of the service range
PKI_DAYS_CA=3650
PKI_DAYS_LEAF=365

pki_ensure() {
  local dir="$1"
  if pki_is_complete "$dir"; then
    return 0
  fi
  mkdir -p "$(dirname "$dir")"
  local staging
  staging="$(mktemp -d "$dir.tmp.XXXXXX")"
  # Subshell: umask and the failure trap stay local.
  if ! (
    set -euo pipefail
    umask 077
    cd "$staging"
    pki_new_key ca.key
    openssl req -x509 -new -key ca.key -sha256 -days "$PKI_DAYS_CA" \
      -subj "/CN=gantry-local-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out ca.crt 2>/dev/null
    pki_leaf apiserver "/CN=kube-apiserver" serverAuth \
      "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:::1,IP:$PKI_SERVICE_IP"
    pki_leaf admin "/O=system:masters/CN=gantry-admin" clientAuth
    pki_leaf controller-manager "/CN=system:kube-controller-manager" clientAuth
    pki_leaf apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
    pki_new_key sa.key
    openssl pkey -in sa.key -pubout -out sa.pub
    rm -f ./*.csr
    date -u +%FT%TZ >.complete
  ); then
    rm -rf "$staging"
    return 1
  fi
  rm -rf "$dir"
  mv "$staging" "$dir"
}

# Complete and good for at least another day (a cluster state dir can be old).
pki_is_complete() {
  local dir="$1" f
  [[ -f "$dir/.complete" ]] || return 1
  for f in ca apiserver admin controller-manager apiserver-kubelet-client; do
    [[ -s "$dir/$f.crt" && -s "$dir/$f.key" ]] || return 1
  done
  [[ -s "$dir/sa.key" && -s "$dir/sa.pub" ]] || return 1
  openssl x509 -noout -checkend 86400 -in "$dir/apiserver.crt" >/dev/null 2>&1
}

pki_new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# pki_leaf NAME SUBJECT EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
# Run inside the staging dir; signs NAME.crt with ca.crt/ca.key.
pki_leaf() {
  local name="$1" subject="$2" usage="$3" sans="${4:-}"
  pki_new_key "$name.key"
  openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr" 2>/dev/null
  {
    printf 'basicConstraints=critical,CA:FALSE\n'
    printf 'keyUsage=critical,digitalSignature,keyEncipherment\n'
    printf 'extendedKeyUsage=%s\n' "$usage"
    [[ -z "$sans" ]] || printf 'subjectAltName=%s\n' "$sans"
  } >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
    -sha256 -days "$PKI_DAYS_LEAF" -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.ext"
}
