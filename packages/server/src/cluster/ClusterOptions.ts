import { randomUUID } from 'node:crypto';

/** Settings of a node of a cluster (several servers on one Redis); every field has a default. */
export interface ClusterOptions {
  /** This node's id in the registry; random per start by default. Ties of load go to the lowest id, so placement is reproducible. */
  nodeId: string;
  /** Address the internal channel (forwarded media operations) listens on. Default 127.0.0.1. */
  internalHost: string;
  /** Port of the internal channel; 0 picks a free one. Default 0. */
  internalPort: number;
  /** Address other nodes reach the internal channel at; `http://internalHost:port` by default. */
  internalUrl: string | undefined;
  /** Bearer secret of the internal channel, the same on every node; the token secret when absent. */
  secret: string | undefined;
  /** How often a node renews its registration and load. Default 1000 ms. */
  heartbeatMs: number;
  /** A node silent this long is dead: its conferences lose their media and are placed again. Default 5000 ms. */
  deadAfterMs: number;
  /** Longest wait for a forwarded media operation. Default 10000 ms. */
  forwardTimeoutMs: number;
}

/** Fills in defaults and checks values; throws a TypeError naming the bad option. */
export function resolveClusterOptions(options: Partial<ClusterOptions>): ClusterOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved: ClusterOptions = {
    nodeId: randomUUID(),
    internalHost: '127.0.0.1',
    internalPort: 0,
    internalUrl: undefined,
    secret: undefined,
    heartbeatMs: 1_000,
    deadAfterMs: 5_000,
    forwardTimeoutMs: 10_000,
    ...defined,
  };
  for (const key of ['heartbeatMs', 'deadAfterMs', 'forwardTimeoutMs'] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] <= 0) throw new TypeError(`cluster.${key} must be a positive integer, got ${String(resolved[key])}`);
  }
  // Two missed heartbeats at least, or a busy node flaps between live and dead.
  if (resolved.deadAfterMs < 2 * resolved.heartbeatMs) {
    throw new TypeError(`cluster.deadAfterMs (${resolved.deadAfterMs}) must be at least twice cluster.heartbeatMs (${resolved.heartbeatMs})`);
  }
  if (!Number.isInteger(resolved.internalPort) || resolved.internalPort < 0 || resolved.internalPort > 65535) {
    throw new TypeError(`cluster.internalPort must be an integer from 0 to 65535, got ${String(resolved.internalPort)}`);
  }
  if (!/^[\w.:-]{1,100}$/.test(resolved.nodeId)) throw new TypeError(`cluster.nodeId must be 1 to 100 letters, digits, '.', ':', '_' or '-', got ${JSON.stringify(resolved.nodeId)}`);
  return resolved;
}

const ENV_INTEGERS = {
  CONFER_CLUSTER_PORT: 'internalPort',
  CONFER_NODE_HEARTBEAT_MS: 'heartbeatMs',
  CONFER_NODE_DEAD_AFTER_MS: 'deadAfterMs',
} as const;

/** The cluster settings read from the environment: CONFER_NODE_ID, CONFER_CLUSTER_HOST, CONFER_CLUSTER_PORT, CONFER_CLUSTER_URL, CONFER_CLUSTER_SECRET, CONFER_NODE_HEARTBEAT_MS, CONFER_NODE_DEAD_AFTER_MS. */
export function clusterOptionsFromEnv(env: NodeJS.ProcessEnv): Partial<ClusterOptions> {
  const options: Partial<ClusterOptions> = {};
  if (env.CONFER_NODE_ID) options.nodeId = env.CONFER_NODE_ID;
  if (env.CONFER_CLUSTER_HOST) options.internalHost = env.CONFER_CLUSTER_HOST;
  if (env.CONFER_CLUSTER_URL) options.internalUrl = env.CONFER_CLUSTER_URL;
  if (env.CONFER_CLUSTER_SECRET) options.secret = env.CONFER_CLUSTER_SECRET;
  for (const [name, key] of Object.entries(ENV_INTEGERS)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    if (!/^\d+$/.test(text)) throw new TypeError(`${name} must be a whole number, got ${JSON.stringify(text)}`);
    options[key] = Number(text);
  }
  return options;
}
