/** Gantry's own API group and the version all its kinds are served at. */
export const GANTRY_API_GROUP = 'gateway.gantry.dev';
export const GANTRY_API_VERSION = `${GANTRY_API_GROUP}/v1alpha1`;
