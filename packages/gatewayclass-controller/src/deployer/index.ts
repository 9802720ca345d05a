export {
  GANTRY_API_GROUP,
  GANTRY_API_VERSION,
  GATEWAY_PARAMETERS_KIND,
  ENVOY_LOG_LEVELS,
  SERVICE_TYPES,
  type EnvoyLogLevel,
  type GatewayParameters,
  type GatewayParametersSpec,
  type Quantity,
  type ResourceRequirements,
  type ServiceType,
} from '@gantry/api';
export {
  APP_NAME,
  APP_NAME_LABEL,
  BOOTSTRAP_HASH_ANNOTATION,
  GATEWAY_NAME_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  OWNED_OBJECT_SELECTOR,
  fixedLabels,
  gatewayNameLabelValue,
  infrastructureName,
  selectorLabels,
} from './naming.js';
export {
  mergeParameters,
  referencedParameters,
  resolveParameters,
  validateGatewayParameters,
  type ParametersKey,
  type ParametersLookup,
  type ParametersProblem,
  type ResolvedParameters,
} from './parameters.js';
export { gatewayBootstrap, METRICS_LISTENER_NAME, METRICS_PATH, READINESS_LISTENER_NAME, READINESS_PATH, type GatewayBootstrapOptions } from './bootstrap.js';
export {
  BOOTSTRAP_KEY,
  DEFAULT_DEPLOYER_DEFAULTS,
  DEFAULT_ENVOY_IMAGE,
  ENVOY_CONTAINER,
  XDS_CERTIFICATE_ANNOTATION,
  XDS_TLS_DIR,
  listenerPorts,
  renderGatewayResources,
  reservedPorts,
  type DeployerDefaults,
  type InfrastructureObject,
  type ListenerPort,
  type RenderInput,
  type RenderProblem,
  type RenderResult,
  type RenderedInfrastructure,
  type XdsServerAddress,
} from './render.js';
export { serviceAddresses, HOSTNAME_TYPE, IP_ADDRESS_TYPE, type ServiceAddresses } from './addresses.js';
export { owningGateway } from './owner.js';
export { Deployer, FIELD_MANAGER, type DeployerOptions, type ParametersSource, type ReconcileResult } from './apply.js';
