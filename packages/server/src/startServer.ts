import type { AddressInfo } from 'node:net';
import { ClientRegistry } from './auth/ClientRegistry.js';
import { TokenEndpoint } from './auth/TokenEndpoint.js';
import { DevelopmentSecret } from './auth/DevelopmentSecret.js';
import { TokenService } from './auth/TokenService.js';
import type { EventListener } from './conference/Conference.js';
import { ConferenceAccess } from './conference/ConferenceAccess.js';
import { ConferenceLifecycle } from './conference/ConferenceLifecycle.js';
import { ConferenceQueries } from './conference/ConferenceQueries.js';
import { JsonPathMask } from './conference/JsonPathMask.js';
import { MediaCommands } from './conference/MediaCommands.js';
import { MediaTeardown } from './conference/MediaTeardown.js';
import { MetadataCommands } from './conference/MetadataCommands.js';
import { registerApiRoutes } from './http/apiRoutes.js';
import { conferenceHandlers } from './http/conferenceHandlers.js';
import { ConnectionTracker } from './http/ConnectionTracker.js';
import { createHttpApp } from './http/createHttpApp.js';
import { OpenApiDocument } from './http/OpenApiDocument.js';
import { OpenApiValidator } from './http/OpenApiValidator.js';
import { registerTokenRoute } from './http/tokenRoute.js';
import { registerHealthRoute } from './http/healthRoute.js';
import { ClusterNode } from './cluster/ClusterNode.js';
import { resolveClusterOptions } from './cluster/ClusterOptions.js';
import { nodeHealth } from './cluster/nodeHealth.js';
import type { MediaRouter, MediaRouterCallbacks } from './media/MediaRouter.js';
import { DEFAULT_MEDIA_ROUTER_OPTIONS } from './media/MediaRouterOptions.js';
import { resolveServerOptions, type ServerOptions } from './ServerOptions.js';
import type { ConferenceStore, LivenessRules } from './store/ConferenceStore.js';
import { MemoryStore } from './store/MemoryStore.js';
import { RedisConnections } from './store/RedisConnections.js';
import { RedisStore } from './store/RedisStore.js';

export type { ServerOptions } from './ServerOptions.js';

/** A running reference server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  /** Answers waiting polls, stops timers, closes the HTTP server and the media router. Idempotent. */
  close(): Promise<void>;
  /** SIGTERM's graceful stop: takes no new conferences (/healthz says so), lets the waiting event polls answer (at most `eventWaitMs`), then closes. */
  drain(): Promise<void>;
  /** The media router behind the media operations (its counters show what is still open). */
  media: MediaRouter;
}

/** What the server holds right now, so tests can prove that nothing outlives its owner. */
export interface ServerStats {
  conferences: number;
  endpoints: number;
  /** Event polls waiting for an event. */
  waitingPolls: number;
}

/** The running server plus introspection for tests. */
export interface ConferenceServer extends RunningServer {
  stats(): ServerStats;
}

const INFO_ENABLED = new Set(['info', 'debug', 'trace']);

/** The development clients' notice printed at start-up when no clients file is configured. */
export const DEVELOPMENT_CLIENTS_NOTICE =
  'No clients file configured (CONFER_CLIENTS_FILE): using the development clients demo/demo (role USER, may pass user_id) and service/service (role SERVICE).';

/** Starts the reference conference server; `startServer({ port: 0 })` picks a free port. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<ConferenceServer> {
  const settings = resolveServerOptions(options);
  const clients = settings.clientsFile ? ClientRegistry.fromFile(settings.clientsFile) : ClientRegistry.development();
  const document = OpenApiDocument.load();
  const validator = new OpenApiValidator(document);
  const connections = new ConnectionTracker();
  // With REDIS_URL every part that is shared between server processes uses these connections (see store/README.md).
  const redis = settings.redisUrl ? await RedisConnections.connect(settings.redisUrl, settings.redisKeyPrefix) : undefined;
  const developmentSecret = redis && !settings.tokenSecret ? await DevelopmentSecret.acquire(redis).catch(closeAndRethrow(redis)) : undefined;
  const tokenSecret = settings.tokenSecret ?? developmentSecret?.secret;
  const tokens = new TokenService({ secret: tokenSecret, ttlSeconds: settings.tokenTtlSeconds });
  const app = await createHttpApp(settings, connections);

  const access = new ConferenceAccess();
  const callbacks: MediaRouterCallbacks = {
    // The router reports only after publish or view, by which time `lifecycle` exists.
    onEndpointHealth: (conferenceId, userEndpointId, health) => lifecycle.onEndpointHealth(conferenceId, userEndpointId, health),
    onMediaLost: (conferenceId, reason) => lifecycle.onMediaLost(conferenceId, reason),
  };
  // With Redis this process is a node of a cluster: media placed per conference, forwarded between nodes.
  const cluster =
    redis && !settings.createMediaRouter
      ? await ClusterNode.start({
          options: resolveClusterOptions(settings.cluster),
          redis,
          tokenSecret,
          media: settings.media,
          callbacks,
          warn: (message, error) => app.log.warn({ err: error }, message),
        })
      : undefined;
  const media = settings.createMediaRouter ? settings.createMediaRouter(callbacks) : (cluster?.router ?? (await createWeriftRouter(settings, callbacks)));
  const teardown = new MediaTeardown(media, app.log);
  const logEvent: EventListener = (event, masks) => {
    if (!INFO_ENABLED.has(app.log.level)) return;
    const logged = structuredClone(event);
    for (const path of masks) new JsonPathMask(path).applyTo(logged, true);
    app.log.info({ event: logged }, 'conference event');
  };
  const liveness: LivenessRules = {
    timings: {
      sickAfterMs: settings.ghostSickAfterMs,
      removeAfterMs: settings.ghostRemoveAfterMs,
      hungUpSickAfterMs: settings.ghostHungUpSickAfterMs,
      hungUpRemoveAfterMs: settings.ghostHungUpRemoveAfterMs,
    },
    // Liveness acts only on conferences with endpoints, which exist after `lifecycle` does.
    changeState: (conference, endpointId, state) => lifecycle.changeState(conference, endpointId, state),
    removeGhost: (conference, endpointId, reason) => lifecycle.removeGhost(conference, endpointId, reason),
  };
  const storeInit = { eventRetention: settings.eventRetention, onEvent: logEvent, liveness };
  const store: ConferenceStore = redis
    ? await RedisStore.start({ ...storeInit, redis, onError: (what, error) => app.log.error({ err: error }, `store: ${what} failed`) })
    : new MemoryStore(storeInit);
  const lifecycle = new ConferenceLifecycle(store, access, teardown, {
    strict: settings.strict,
    onCallbackError: (what, error) => app.log.error({ err: error }, `control plane: ${what} failed`),
  });
  // Set by drain(): create answers 503 from then on, as /healthz does.
  let draining = false;
  const handlers = conferenceHandlers({
    lifecycle,
    metadata: new MetadataCommands(store, access),
    media: new MediaCommands(store, access, media, teardown, settings.media.defaultVideoBitrate ?? DEFAULT_MEDIA_ROUTER_OPTIONS.defaultVideoBitrate),
    queries: new ConferenceQueries(store, access, settings.eventWaitMs, settings.strict),
  }, () => draining);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await store.close();
      connections.closeIdle();
      try {
        await app.close();
      } finally {
        await cluster?.close();
        await media.close();
        await developmentSecret?.close();
        await redis?.close();
      }
    })());

  try {
    const tokenSpec = document.operations().find((s) => s.operationId === 'issueToken');
    if (!tokenSpec) throw new Error('the contract has no issueToken operation');
    await registerTokenRoute(app, tokenSpec, new TokenEndpoint(clients, tokens, validator.compile(document.schemaRef('TokenRequest'), 'body')));
    await registerApiRoutes(app, { document, validator, tokens, handlers });
    registerHealthRoute(app, () => nodeHealth(redis, cluster, closing === undefined, draining));
    await cluster?.reclaimLeftovers();
    await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await close();
    throw error;
  }
  if (clients.isDevelopment) settings.announce(DEVELOPMENT_CLIENTS_NOTICE);

  const { port } = app.server.address() as AddressInfo;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const stats = () => store.stats();
  const drain = async () => {
    draining = true;
    await cluster?.drain();
    // Every poll waiting now answers within eventWaitMs; new ones keep coming, so the wait is bounded.
    const deadline = performance.now() + settings.eventWaitMs;
    while (stats().waitingPolls > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await close();
  };
  return {
    url: `http://${host}:${port}`,
    media,
    close,
    drain,
    stats,
  };
}

/** Closes the Redis connections of a start that failed before the server could close them. */
function closeAndRethrow(redis: RedisConnections): (error: unknown) => Promise<never> {
  return async (error) => {
    await redis.close();
    throw error;
  };
}

async function createWeriftRouter(settings: ServerOptions, callbacks: MediaRouterCallbacks): Promise<MediaRouter> {
  // Loaded only when needed: a test that brings its own router does not load werift.
  const { WeriftMediaRouter } = await import('./media/WeriftMediaRouter.js');
  return new WeriftMediaRouter(settings.media, callbacks);
}
