export { NodeAgent, DEFAULTS, cleanUpAfterAgent, type AgentOptions } from './agent.js';
export { echoBasicImage, envoyImage, customImage, resolveCommand, type ImageBinary } from './pods/images.js';
export { KUBELET_BACKOFF, type RestartBackoff } from './pods/container-runner.js';
export { jsonLineLogger } from './log.js';
