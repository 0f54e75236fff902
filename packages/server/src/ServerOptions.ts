import type { MediaRouter, MediaRouterCallbacks } from './media/MediaRouter.js';
import type { MediaRouterOptions } from './media/MediaRouterOptions.js';
import { clusterOptionsFromEnv, type ClusterOptions } from './cluster/ClusterOptions.js';

/** Pino's levels, plus `silent`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Everything `startServer` can be told; every field has a default (see {@link DEFAULT_SERVER_OPTIONS}). */
export interface ServerOptions {
  /** Address to listen on. Default 127.0.0.1. */
  host: string;
  /** Port to listen on; 0 picks a free one. Default 0 (`npm run server` uses 8080). */
  port: number;
  /** How long an event poll waits for an event before answering `[]`. Default 5000 ms. */
  eventWaitMs: number;
  /** Events kept per conference; an older `v` is answered 410. Default 1000. */
  eventRetention: number;
  /** Lifetime of issued tokens. Default 3600 s. */
  tokenTtlSeconds: number;
  /** HMAC key of the tokens; random per start when absent (a restart invalidates every token). */
  tokenSecret: string | undefined;
  /** Origins allowed by CORS: `'*'` (any, the default) or a list such as `['http://localhost:5173']`. */
  corsOrigins: '*' | string[];
  /** JSON file of OAuth clients (see server/README.md); the development clients when absent. */
  clientsFile: string | undefined;
  /** Ghost rule: an endpoint silent (no event poll by its user, no request naming it) this long is SICK. Default 30000 ms. */
  ghostSickAfterMs: number;
  /** Ghost rule: silent this much longer, it is removed with a ConferenceLeftEvent. Default 60000 ms. */
  ghostRemoveAfterMs: number;
  /** Ghost rule after a hang-up: an endpoint whose user hung up a waiting event poll, and is silent since, is SICK after this long. Default 4000 ms. */
  ghostHungUpSickAfterMs: number;
  /** Ghost rule after a hang-up: silent this much longer, it is removed. Default 9000 ms. */
  ghostHungUpRemoveAfterMs: number;
  /** Largest request body accepted; larger is 413. Default 1 MiB. */
  bodyLimitBytes: number;
  /** Log level. Default `warn`. Conference events are logged at `info`, masked as sendEvent asked. */
  logLevel: LogLevel;
  /** Where log lines go; standard output when absent. */
  logStream: { write(line: string): void } | undefined;
  /** Receives human-readable start-up notices (e.g. "development clients in use"). Default: console.warn. */
  announce: (message: string) => void;
  /** Options of the werift media router (loopback, port range, announced addresses, default bitrate...). */
  media: Partial<MediaRouterOptions>;
  /** Builds the media router instead of the werift one (tests wrap or replace the media plane with it). */
  createMediaRouter: ((callbacks: MediaRouterCallbacks) => MediaRouter) | undefined;
  /**
   * Behave only as the published documentation promises, like the cloud service (`CONFER_STRICT=1`):
   * join answers `{}`, create of a taken id 403, the first event has conferenceVersion 1 and the
   * aggregate's `version` is the last event's, `v` of the event poll is exclusive. Default false. See the README.
   */
  strict: boolean;
  /**
   * Redis to keep conferences, events and liveness in (`REDIS_URL`, e.g. `redis://127.0.0.1:6379`), so
   * several server processes serve the same conferences and a restart loses nothing. In memory when absent.
   */
  redisUrl: string | undefined;
  /** What every Redis key of this deployment starts with (`CONFER_REDIS_PREFIX`). Default `confer:`. */
  redisKeyPrefix: string;
  /** With `redisUrl`, this process is a node of a cluster: its id, internal channel and heartbeat (see the README, "Running several nodes"). */
  cluster: Partial<ClusterOptions>;
}

/** The defaults of {@link ServerOptions}. */
export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 0,
  eventWaitMs: 5_000,
  eventRetention: 1_000,
  tokenTtlSeconds: 3_600,
  tokenSecret: undefined,
  corsOrigins: '*',
  clientsFile: undefined,
  ghostSickAfterMs: 30_000,
  ghostRemoveAfterMs: 60_000,
  ghostHungUpSickAfterMs: 4_000,
  ghostHungUpRemoveAfterMs: 9_000,
  bodyLimitBytes: 1_048_576,
  logLevel: 'warn',
  logStream: undefined,
  announce: (message) => console.warn(message),
  media: {},
  createMediaRouter: undefined,
  strict: false,
  redisUrl: undefined,
  redisKeyPrefix: 'confer:',
  cluster: {},
};

const POSITIVE_INTEGERS = ['eventWaitMs', 'eventRetention', 'tokenTtlSeconds', 'ghostSickAfterMs', 'ghostRemoveAfterMs', 'ghostHungUpSickAfterMs', 'ghostHungUpRemoveAfterMs', 'bodyLimitBytes'] as const;

/** Fills in defaults and checks values; throws a TypeError naming the bad option. */
export function resolveServerOptions(options: Partial<ServerOptions>): ServerOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...defined };
  for (const key of POSITIVE_INTEGERS) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${key} must be a positive integer, got ${String(value)}`);
  }
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65535) {
    throw new TypeError(`port must be an integer from 0 to 65535, got ${String(resolved.port)}`);
  }
  if (resolved.corsOrigins !== '*' && !Array.isArray(resolved.corsOrigins)) {
    throw new TypeError(`corsOrigins must be '*' or a list of origins`);
  }
  return resolved;
}

const ENV_INTEGERS: Record<string, (typeof POSITIVE_INTEGERS)[number] | 'port'> = {
  PORT: 'port',
  CONFER_EVENT_WAIT_MS: 'eventWaitMs',
  CONFER_EVENT_RETENTION: 'eventRetention',
  CONFER_TOKEN_TTL_SECONDS: 'tokenTtlSeconds',
  CONFER_GHOST_SICK_AFTER_MS: 'ghostSickAfterMs',
  CONFER_GHOST_REMOVE_AFTER_MS: 'ghostRemoveAfterMs',
  CONFER_GHOST_HUNG_UP_SICK_AFTER_MS: 'ghostHungUpSickAfterMs',
  CONFER_GHOST_HUNG_UP_REMOVE_AFTER_MS: 'ghostHungUpRemoveAfterMs',
  CONFER_BODY_LIMIT_BYTES: 'bodyLimitBytes',
};

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The options `npm run server` reads from the environment: HOST, PORT, LOG_LEVEL, CONFER_CLIENTS_FILE, CONFER_STRICT (1 or 0),
 * CONFER_TOKEN_SECRET, REDIS_URL, CONFER_REDIS_PREFIX, CONFER_CORS_ORIGINS (comma-separated, or *), the CONFER_* numbers above and the
 * CONFER_MEDIA_* settings of the media router (which reads RTC_LOOPBACK=1 itself).
 */
export function serverOptionsFromEnv(env: NodeJS.ProcessEnv): Partial<ServerOptions> {
  const options: Partial<ServerOptions> = {};
  if (env.HOST) options.host = env.HOST;
  for (const [name, key] of Object.entries(ENV_INTEGERS)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    if (!/^\d+$/.test(text)) throw new TypeError(`${name} must be a whole number, got ${JSON.stringify(text)}`);
    options[key] = Number(text);
  }
  if (env.LOG_LEVEL) {
    if (!LOG_LEVELS.includes(env.LOG_LEVEL as LogLevel)) throw new TypeError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
    options.logLevel = env.LOG_LEVEL as LogLevel;
  }
  if (env.CONFER_CLIENTS_FILE) options.clientsFile = env.CONFER_CLIENTS_FILE;
  if (env.CONFER_STRICT) {
    if (env.CONFER_STRICT !== '1' && env.CONFER_STRICT !== '0') throw new TypeError(`CONFER_STRICT must be 1 or 0, got ${JSON.stringify(env.CONFER_STRICT)}`);
    options.strict = env.CONFER_STRICT === '1';
  }
  if (env.CONFER_TOKEN_SECRET) options.tokenSecret = env.CONFER_TOKEN_SECRET;
  if (env.REDIS_URL) options.redisUrl = env.REDIS_URL;
  if (env.CONFER_REDIS_PREFIX) options.redisKeyPrefix = env.CONFER_REDIS_PREFIX;
  const cluster = clusterOptionsFromEnv(env);
  if (Object.keys(cluster).length > 0) options.cluster = cluster;
  const media = mediaOptionsFromEnv(env);
  if (Object.keys(media).length > 0) options.media = media;
  if (env.CONFER_CORS_ORIGINS) {
    const origins = env.CONFER_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
    options.corsOrigins = origins.includes('*') ? '*' : origins;
  }
  return options;
}

/** The media router settings a deployment sets from the environment (checked by the router at start). */
function mediaOptionsFromEnv(env: NodeJS.ProcessEnv): Partial<MediaRouterOptions> {
  const media: Partial<MediaRouterOptions> = {};
  if (env.CONFER_MEDIA_BIND_ADDRESS) media.bindAddress = env.CONFER_MEDIA_BIND_ADDRESS;
  if (env.CONFER_MEDIA_ANNOUNCED_ADDRESSES) {
    media.announcedAddresses = env.CONFER_MEDIA_ANNOUNCED_ADDRESSES.split(',').map((a) => a.trim()).filter(Boolean);
  }
  if (env.CONFER_MEDIA_PORT_RANGE) {
    const match = /^(\d+)-(\d+)$/.exec(env.CONFER_MEDIA_PORT_RANGE.trim());
    if (!match) throw new TypeError(`CONFER_MEDIA_PORT_RANGE must be min-max, e.g. 40000-40100, got ${JSON.stringify(env.CONFER_MEDIA_PORT_RANGE)}`);
    media.portRange = [Number(match[1]), Number(match[2])];
  }
  if (env.CONFER_MEDIA_DEFAULT_VIDEO_BITRATE) {
    const text = env.CONFER_MEDIA_DEFAULT_VIDEO_BITRATE;
    if (!/^\d+$/.test(text)) throw new TypeError(`CONFER_MEDIA_DEFAULT_VIDEO_BITRATE must be a whole number of bits per second, got ${JSON.stringify(text)}`);
    media.defaultVideoBitrate = Number(text);
  }
  return media;
}
