import type { FastifyInstance } from 'fastify';

/** What a node reports about itself on GET /healthz. */
export interface HealthReport {
  /** `ok` when the store answers (always, in memory), `unreachable` when Redis does not. */
  store: 'ok' | 'unreachable';
  /** `open` while the media router takes calls (and, in a cluster, the internal channel listens). */
  media: 'open' | 'closed';
  /** True once SIGTERM started the drain: the node takes no new conferences. */
  draining: boolean;
}

/**
 * Registers GET /healthz for load balancers and orchestrators: 200 `{status: 'ok', ...report}` when
 * the node can serve, 503 `{status: 'unavailable', ...report}` when its store or media is down or it
 * drains. Outside the API's contract and its authentication, like any health check.
 */
export function registerHealthRoute(app: FastifyInstance, report: () => Promise<HealthReport>): void {
  app.get('/healthz', async (_request, reply) => {
    const health = await report();
    const ok = health.store === 'ok' && health.media === 'open' && !health.draining;
    void reply.code(ok ? 200 : 503).header('cache-control', 'no-store');
    return { status: ok ? 'ok' : 'unavailable', ...health };
  });
}
