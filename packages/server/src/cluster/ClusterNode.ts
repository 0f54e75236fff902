import { randomBytes } from 'node:crypto';
import type { MediaRouterCallbacks } from '../media/MediaRouter.js';
import type { MediaRouterOptions } from '../media/MediaRouterOptions.js';
import type { RedisConnections } from '../store/RedisConnections.js';
import type { ClusterOptions } from './ClusterOptions.js';
import { InternalChannelClient, InternalChannelServer } from './InternalChannel.js';
import { NodeRegistry, type NodeRecord } from './NodeRegistry.js';
import { PlacedMediaRouter } from './PlacedMediaRouter.js';

/** A conference without media on its node this long gives its placement up. */
const IDLE_PLACEMENT_MS = 30_000;
/** How long a sweeper waits for a silent node's ping before it takes the node's conferences. */
const PING_TIMEOUT_MS = 2_000;

/** What a {@link ClusterNode} is started with. */
export interface ClusterNodeInit {
  options: ClusterOptions;
  redis: RedisConnections;
  /** The token secret, used for the internal channel when `options.secret` is absent. */
  tokenSecret: string | undefined;
  media: Partial<MediaRouterOptions>;
  callbacks: MediaRouterCallbacks;
  warn: (message: string, error?: unknown) => void;
}

/**
 * One server process's membership of the cluster: its node record and heartbeat, its internal
 * channel, its {@link PlacedMediaRouter} over its own werift router, and the sweep of dead nodes
 * while it holds the sweeper lease. `close()` stops all of it.
 */
export class ClusterNode {
  private readonly timers: NodeJS.Timeout[] = [];
  private draining = false;
  private closed = false;
  private beating = false;
  private leftovers: string[] = [];
  private readonly confirming = new Set<string>();
  private maintaining = false;

  private constructor(
    private readonly init: ClusterNodeInit,
    private readonly registry: NodeRegistry,
    private readonly channel: InternalChannelServer,
    private readonly client: InternalChannelClient,
    private readonly internalUrl: string,
    /** The media router the control plane uses. */
    readonly router: PlacedMediaRouter,
  ) {}

  /** Starts the local router and the internal channel, takes back what an earlier run of this node id left, registers and starts the heartbeat. */
  static async start(init: ClusterNodeInit): Promise<ClusterNode> {
    const { options, redis } = init;
    const registry = new NodeRegistry(redis.command, redis.prefix, options.deadAfterMs);
    const secret = options.secret ?? init.tokenSecret ?? (await registry.sharedSecret(randomBytes(32).toString('base64url')));
    // Loaded only here, as startServer does: a server given its own router does not load werift.
    const { WeriftMediaRouter } = await import('../media/WeriftMediaRouter.js');
    const local = new WeriftMediaRouter(init.media, init.callbacks);
    const client = new InternalChannelClient(secret, options.forwardTimeoutMs);
    // Filled in below; a refused forward can only happen once the node serves.
    const started: { node?: ClusterNode } = {};
    const router = new PlacedMediaRouter({
      nodeId: options.nodeId,
      local,
      registry,
      channel: client,
      deadAfterMs: options.deadAfterMs,
      onUnreachable: (nodeId) => void started.node?.confirmDeath(nodeId),
      warn: init.warn,
    });
    let channel: InternalChannelServer;
    try {
      channel = await InternalChannelServer.listen(options.internalHost, options.internalPort, secret, router.owned);
    } catch (error) {
      await local.close();
      throw error;
    }
    const host = options.internalHost.includes(':') ? `[${options.internalHost}]` : options.internalHost;
    const node = new ClusterNode(init, registry, channel, client, options.internalUrl ?? `http://${host}:${channel.port}`, router);
    started.node = node;
    try {
      // A node restarted under the same id has none of the media its earlier run had (see reclaimLeftovers).
      node.leftovers = await registry.placedConferences(options.nodeId);
      await registry.heartbeat(node.record());
    } catch (error) {
      await node.close();
      throw error;
    }
    // The heartbeat has a timer of its own: slow sweeping or Redis look-ups must never delay it.
    node.timers.push(setInterval(() => void node.beat(), options.heartbeatMs));
    node.timers.push(setInterval(() => void node.maintain(), options.heartbeatMs));
    return node;
  }

  /** This node's id. */
  get nodeId(): string {
    return this.init.options.nodeId;
  }

  /** True once {@link drain} was called. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** True while the internal channel listens. */
  get channelOpen(): boolean {
    return this.channel.listening;
  }

  /**
   * Hands back the conferences an earlier run under this node id had placed here: their media died
   * with that run, so each is reported lost at once instead of never (this id's heartbeat is live).
   * Called once the control plane can take the reports, before the server listens.
   */
  async reclaimLeftovers(): Promise<void> {
    for (const mediaKey of this.leftovers.splice(0)) {
      if (await this.registry.unplace(mediaKey, this.nodeId)) this.reportLost(mediaKey, `media node ${this.nodeId} restarted`);
    }
  }

  /** Takes no new conferences from now on (the others see it with this heartbeat); the current ones stay. */
  async drain(): Promise<void> {
    this.draining = true;
    await this.registry.heartbeat(this.record()).catch((error: unknown) => this.init.warn('cluster: the draining heartbeat failed', error));
  }

  /** Stops the heartbeat and the internal channel and deregisters, so the other nodes take this node's conferences at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.channel.close();
    // Redis already closed (the server stops it last, a test may crash a node so): the record expires by itself.
    if (this.init.redis.command.status === 'end') return;
    await this.registry.deregister(this.nodeId).catch((error: unknown) => this.init.warn('cluster: deregistering failed', error));
  }

  /** Renews this node's record (with its load); one at a time, so a slow Redis does not pile them up. */
  private async beat(): Promise<void> {
    if (this.beating || this.closed) return;
    this.beating = true;
    try {
      await this.registry.heartbeat(this.record());
    } catch (error) {
      this.init.warn('cluster: heartbeat failed', error);
    } finally {
      this.beating = false;
    }
  }

  /** Gives up idle placements, closes displaced media, and sweeps dead nodes while holding the lease. */
  private async maintain(): Promise<void> {
    if (this.maintaining || this.closed) return;
    this.maintaining = true;
    try {
      await this.router.releaseIdle(IDLE_PLACEMENT_MS);
      const displaced = await this.router.closeDisplaced();
      if (displaced > 0) this.init.warn(`cluster: closed ${displaced} streams of conferences placed on another node meanwhile`);
      if (await this.registry.holdSweeperLease(this.nodeId, this.init.options.deadAfterMs)) {
        for (const dead of await this.registry.deadNodes()) {
          if (this.closed) break;
          if (await this.stillAnswers(dead)) continue;
          await this.registry.sweep(dead, (mediaKey) => this.reportLost(mediaKey, `media node ${dead} stopped answering`));
        }
      }
    } catch (error) {
      this.init.warn('cluster: maintenance failed', error);
    } finally {
      this.maintaining = false;
    }
  }

  /**
   * A node refused a forwarded call: if its ping is refused too, it is gone, and waiting for its
   * record to expire would only prolong the media outage. Its record is removed (so nothing is placed
   * on it again) and it is swept at once; the sweep reports each conference once cluster-wide, so a
   * second node confirming the same death reports nothing.
   */
  private async confirmDeath(nodeId: string): Promise<void> {
    if (this.closed || nodeId === this.nodeId || this.confirming.has(nodeId)) return;
    this.confirming.add(nodeId);
    try {
      if (await this.stillAnswers(nodeId)) return;
      await this.registry.deregister(nodeId);
      await this.registry.sweep(nodeId, (mediaKey) => this.reportLost(mediaKey, `media node ${nodeId} stopped answering`));
    } catch (error) {
      this.init.warn(`cluster: confirming that media node ${nodeId} is gone failed`, error);
    } finally {
      this.confirming.delete(nodeId);
    }
  }

  /**
   * A node whose record expired but whose internal channel still answers is late, not dead (a
   * blocked event loop, a slow Redis link): moving its conferences would cut media that flows.
   */
  private async stillAnswers(nodeId: string): Promise<boolean> {
    const url = await this.registry.lastInternalUrl(nodeId);
    if (!url || !(await this.client.ping(url, Math.min(PING_TIMEOUT_MS, this.init.options.deadAfterMs)))) return false;
    this.init.warn(`cluster: media node ${nodeId} misses its heartbeats but answers; its conferences stay`);
    return true;
  }

  private reportLost(mediaKey: string, reason: string): void {
    try {
      this.init.callbacks.onMediaLost?.(mediaKey, reason);
    } catch (error) {
      this.init.warn(`cluster: the control plane failed to unpublish the streams of ${mediaKey}`, error);
    }
  }

  private record(): NodeRecord {
    return { id: this.nodeId, internalUrl: this.internalUrl, load: this.router.counters().peerConnections, draining: this.draining };
  }
}
