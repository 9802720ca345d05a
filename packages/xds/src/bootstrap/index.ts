export { NODE_GATEWAY_METADATA_KEY, NODE_CLUSTER, envoyNode } from './node.js';
export { adsBootstrap, xdsCluster, xdsTransportSocket, XDS_CLUSTER_NAME, type AdsBootstrapOptions, type XdsClientTls } from './ads.js';
export { staticBootstrap, type StaticBootstrapOptions } from './static.js';
export { DEFAULT_ADMIN_ADDRESS, DEFAULT_ADMIN_PORT, type AdminOptions } from './admin.js';
