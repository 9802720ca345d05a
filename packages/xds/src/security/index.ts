export { CONTROLLER_IDENTITY, IDENTITY_TRUST_DOMAIN, gatewayIdentity, gatewayKeysOfCertificate, uriSans } from './identity.js';
export {
  checkCertificate,
  createCertificateAuthority,
  issueCertificate,
  keyMatchesCertificate,
  type CertificateAndKey,
  type CertificateCheck,
  type IssueOptions,
} from './ca.js';
export { RotatingCertificateProvider, type ServerTlsMaterial } from './provider.js';
