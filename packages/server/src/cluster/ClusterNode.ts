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
  private ticking = false;

  private constructor(
    private readonly init: ClusterNodeInit,
    private readonly registry: NodeRegistry,
    private readonly channel: InternalChannelServer,
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
    const router = new PlacedMediaRouter({
      nodeId: options.nodeId,
      local,
      registry,
      channel: new InternalChannelClient(secret, options.forwardTimeoutMs),
      deadAfterMs: options.deadAfterMs,
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
    const node = new ClusterNode(init, registry, channel, options.internalUrl ?? `http://${host}:${channel.port}`, router);
    try {
      // A node restarted under the same id has none of the media its earlier run had.
      await registry.sweep(options.nodeId, (mediaKey) => node.reportLost(mediaKey, `media node ${options.nodeId} restarted`));
      await registry.heartbeat(node.record());
    } catch (error) {
      await node.close();
      throw error;
    }
    node.timers.push(setInterval(() => void node.tick(), options.heartbeatMs));
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

  /** One heartbeat: renew the record, close displaced media, and sweep dead nodes while holding the lease. */
  private async tick(): Promise<void> {
    // A slow Redis must not pile up ticks.
    if (this.ticking || this.closed) return;
    this.ticking = true;
    try {
      await this.registry.heartbeat(this.record());
      await this.router.releaseIdle(IDLE_PLACEMENT_MS);
      const displaced = await this.router.closeDisplaced();
      if (displaced > 0) this.init.warn(`cluster: closed ${displaced} streams of conferences placed on another node meanwhile`);
      if (await this.registry.holdSweeperLease(this.nodeId, this.init.options.deadAfterMs)) {
        for (const dead of await this.registry.deadNodes()) {
          if (this.closed) break;
          await this.registry.sweep(dead, (mediaKey) => this.reportLost(mediaKey, `media node ${dead} stopped answering`));
        }
      }
    } catch (error) {
      this.init.warn('cluster: heartbeat failed', error);
    } finally {
      this.ticking = false;
    }
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
