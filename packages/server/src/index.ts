/** `@confer/server`: the reference conference server (REST API v1.0 and a werift SFU) to run or embed in tests. */
export { startServer, DEVELOPMENT_CLIENTS_NOTICE } from './startServer.js';
export type { RunningServer, ConferenceServer, ServerStats } from './startServer.js';
export { serverOptionsFromEnv, resolveServerOptions, DEFAULT_SERVER_OPTIONS } from './ServerOptions.js';
export type { ServerOptions } from './ServerOptions.js';
export { MediaRouterError } from './media/MediaRouter.js';
export type { MediaRouter, MediaRouterCallbacks, MediaCounters, EndpointHealth } from './media/MediaRouter.js';
export type { WeriftMediaRouter } from './media/WeriftMediaRouter.js';
export type { ClusterOptions } from './cluster/ClusterOptions.js';
export type { HealthReport } from './http/healthRoute.js';
