export {
  CA_VALIDITY_DAYS,
  CLIENT_RENEW_BEFORE_MS,
  CLIENT_VALIDITY_DAYS,
  DEFAULT_XDS_CA_SECRET,
  SERVER_VALIDITY_DAYS,
  XdsAuthority,
  type XdsAuthorityOptions,
} from './authority.js';
export {
  XDS_CLIENT_CA_KEY,
  XDS_CLIENT_CERT_KEY,
  XDS_CLIENT_KEY_KEY,
  XdsClientSecrets,
  xdsClientSecretName,
  type EnsureClientSecretInput,
  type XdsClientSecretRef,
} from './client-secret.js';
