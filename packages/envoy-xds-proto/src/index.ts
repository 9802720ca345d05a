// The curated surface of the generated Envoy/xDS v3 API. Everything else is reachable by deep
// import: `@gantry/envoy-xds-proto/generated/<proto path without .proto>`.
// Names that exist in two Envoy packages get a prefix here (see the aliases below).

// The package entry registers every generated message, as it always did (its exports below load
// most of them anyway). A process that wants less imports subpaths: `@gantry/envoy-xds-proto/any`
// and `@gantry/envoy-xds-proto/generated/<proto path>`; its registry then fills on first miss.
import './generated/all.js';
import { markAllMessageTypesLoaded } from './any.js';

markAllMessageTypesLoaded();

// Helpers: Any by type URL, Envoy JSON, resource type URLs.
export {
  packAny,
  unpackAny,
  unpackAnyAs,
  toEnvoyJson,
  anyFromEnvoyJson,
  typeUrlOf,
  UnknownTypeUrlError,
  loadAllMessageTypes,
  type JsonValue,
  type JsonObject,
  type MessageCodec,
} from './any.js';
export {
  TYPE_URL_PREFIX,
  LISTENER_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE_URL,
  CLUSTER_TYPE_URL,
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  SECRET_TYPE_URL,
  RESOURCE_TYPE_URLS,
  typeUrlForName,
  messageNameOfTypeUrl,
  type ResourceKind,
  type ResourceTypeUrl,
} from './type-urls.js';
export { messageTypeRegistry, type MessageType, type UnknownMessage } from './generated/typeRegistry.js';

// Well-known and Google types.
export { Any } from './generated/google/protobuf/any.js';
export { Duration } from './generated/google/protobuf/duration.js';
export { Struct, Value, ListValue, NullValue } from './generated/google/protobuf/struct.js';
export { UInt32Value, UInt64Value, BoolValue, StringValue, DoubleValue } from './generated/google/protobuf/wrappers.js';
export { Empty } from './generated/google/protobuf/empty.js';
export { Status } from './generated/google/rpc/status.js';

// xDS transport.
export {
  DiscoveryRequest,
  DiscoveryResponse,
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  Resource,
} from './generated/envoy/service/discovery/v3/discovery.js';
export {
  AggregatedDiscoveryServiceService,
  AggregatedDiscoveryServiceClient,
  type AggregatedDiscoveryServiceServer,
} from './generated/envoy/service/discovery/v3/ads.js';

// Core.
export { Address, SocketAddress, SocketAddress_Protocol, Pipe, CidrRange } from './generated/envoy/config/core/v3/address.js';
export {
  Node,
  Locality,
  Metadata,
  DataSource,
  HeaderValue,
  HeaderValueOption,
  HeaderValueOption_HeaderAppendAction,
  TransportSocket,
  RuntimeFractionalPercent,
  RequestMethod,
  TrafficDirection,
  RetryPolicy as CoreRetryPolicy,
} from './generated/envoy/config/core/v3/base.js';
export {
  ConfigSource,
  ApiConfigSource,
  ApiConfigSource_ApiType,
  AggregatedConfigSource,
  SelfConfigSource,
  ApiVersion,
} from './generated/envoy/config/core/v3/config_source.js';
export { TypedExtensionConfig } from './generated/envoy/config/core/v3/extension.js';
export { GrpcService, GrpcService_EnvoyGrpc } from './generated/envoy/config/core/v3/grpc_service.js';
export { HealthCheck, HealthStatus, HealthStatusSet } from './generated/envoy/config/core/v3/health_check.js';
export {
  Http1ProtocolOptions,
  Http2ProtocolOptions,
  Http3ProtocolOptions,
  KeepaliveSettings,
  UpstreamHttpProtocolOptions,
  HttpProtocolOptions as CoreHttpProtocolOptions,
} from './generated/envoy/config/core/v3/protocol.js';
export { SubstitutionFormatString } from './generated/envoy/config/core/v3/substitution_format_string.js';

// Matchers and percentages.
export { StringMatcher, ListStringMatcher } from './generated/envoy/type/matcher/v3/string.js';
export { RegexMatcher } from './generated/envoy/type/matcher/v3/regex.js';
export { Percent, FractionalPercent, FractionalPercent_DenominatorType } from './generated/envoy/type/v3/percent.js';

// Listeners.
export { Listener, Listener_DrainType } from './generated/envoy/config/listener/v3/listener.js';
export {
  Filter,
  FilterChain,
  FilterChainMatch,
  ListenerFilter,
} from './generated/envoy/config/listener/v3/listener_components.js';

// Routes.
export { RouteConfiguration } from './generated/envoy/config/route/v3/route.js';
export {
  VirtualHost,
  Route,
  RouteMatch,
  RouteAction,
  RouteAction_RequestMirrorPolicy,
  RouteAction_UpgradeConfig,
  WeightedCluster,
  WeightedCluster_ClusterWeight,
  HeaderMatcher,
  QueryParameterMatcher,
  RedirectAction,
  RedirectAction_RedirectResponseCode,
  DirectResponseAction,
  RetryPolicy,
  Decorator,
  FilterConfig,
  CorsPolicy as RouteCorsPolicy,
} from './generated/envoy/config/route/v3/route_components.js';

// Clusters and endpoints.
export {
  Cluster,
  Cluster_DiscoveryType,
  Cluster_LbPolicy,
  Cluster_DnsLookupFamily,
  Cluster_EdsClusterConfig,
  Cluster_CommonLbConfig,
} from './generated/envoy/config/cluster/v3/cluster.js';
export { CircuitBreakers, CircuitBreakers_Thresholds } from './generated/envoy/config/cluster/v3/circuit_breaker.js';
export { OutlierDetection } from './generated/envoy/config/cluster/v3/outlier_detection.js';
export { ClusterLoadAssignment, ClusterLoadAssignment_Policy } from './generated/envoy/config/endpoint/v3/endpoint.js';
export { Endpoint, LbEndpoint, LocalityLbEndpoints } from './generated/envoy/config/endpoint/v3/endpoint_components.js';

// Extensions (typed_config payloads).
export {
  HttpConnectionManager,
  HttpConnectionManager_CodecType,
  HttpConnectionManager_UpgradeConfig,
  HttpFilter,
  Rds,
} from './generated/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.js';
export { Router } from './generated/envoy/extensions/filters/http/router/v3/router.js';
export { Cors, CorsPolicy } from './generated/envoy/extensions/filters/http/cors/v3/cors.js';
export { HTTPFault } from './generated/envoy/extensions/filters/http/fault/v3/fault.js';
export { Lua } from './generated/envoy/extensions/filters/http/lua/v3/lua.js';
export { TlsInspector } from './generated/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.js';
export { TcpProxy } from './generated/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.js';
export { UdpProxyConfig } from './generated/envoy/extensions/filters/udp/udp_proxy/v3/udp_proxy.js';
export { Route as UdpProxyRoute } from './generated/envoy/extensions/filters/udp/udp_proxy/v3/route.js';
export { SourcePortInput } from './generated/envoy/extensions/matching/common_inputs/network/v3/network_inputs.js';
export {
  DownstreamTlsContext,
  UpstreamTlsContext,
  CommonTlsContext,
} from './generated/envoy/extensions/transport_sockets/tls/v3/tls.js';
export {
  TlsParameters,
  TlsParameters_TlsProtocol,
  TlsCertificate,
  CertificateValidationContext,
  SubjectAltNameMatcher,
  SubjectAltNameMatcher_SanType,
} from './generated/envoy/extensions/transport_sockets/tls/v3/common.js';
export { Secret, SdsSecretConfig, GenericSecret } from './generated/envoy/extensions/transport_sockets/tls/v3/secret.js';
export { HttpProtocolOptions } from './generated/envoy/extensions/upstreams/http/v3/http_protocol_options.js';
export { AccessLog } from './generated/envoy/config/accesslog/v3/accesslog.js';
export { StdoutAccessLog, StderrAccessLog } from './generated/envoy/extensions/access_loggers/stream/v3/stream.js';
export { FileAccessLog } from './generated/envoy/extensions/access_loggers/file/v3/file.js';
export { DownstreamConnectionsConfig } from './generated/envoy/extensions/resource_monitors/downstream_connections/v3/downstream_connections.js';

// Bootstrap.
export {
  Bootstrap,
  Bootstrap_StaticResources,
  Bootstrap_DynamicResources,
  Admin,
} from './generated/envoy/config/bootstrap/v3/bootstrap.js';
