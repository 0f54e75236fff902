import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Knows which connections are between requests, so that close() ends every one of them: fastify's
 * "idle" closing ends only the connections idle at that instant, and a keep-alive connection whose
 * answer (an event poll answered by close itself) ends a moment later would hold the server open
 * until its keep-alive timeout.
 */
export class ConnectionTracker {
  private readonly inFlight = new Map<Socket, number>();
  private readonly counted = new WeakSet<FastifyRequest>();
  private closingNow = false;

  /** True once {@link closeIdle} was called: new requests are refused, answers close their connection. */
  get closing(): boolean {
    return this.closingNow;
  }

  /** Follows the app's connections and requests. */
  attach(app: FastifyInstance): void {
    app.server.on('connection', (socket: Socket) => {
      this.inFlight.set(socket, 0);
      socket.once('close', () => this.inFlight.delete(socket));
    });
    app.addHook('onRequest', async (request) => {
      const socket = request.raw.socket;
      if (!this.inFlight.has(socket)) return;
      this.counted.add(request);
      this.inFlight.set(socket, this.inFlight.get(socket)! + 1);
    });
    app.addHook('onResponse', async (request) => {
      if (!this.counted.has(request)) return;
      const socket = request.raw.socket;
      const left = (this.inFlight.get(socket) ?? 1) - 1;
      this.inFlight.set(socket, left);
      if (this.closingNow && left === 0) socket.destroy();
    });
  }

  /** Ends the connections between requests now, and the others as soon as their answers are sent. */
  closeIdle(): void {
    this.closingNow = true;
    for (const [socket, count] of this.inFlight) if (count === 0) socket.destroy();
  }
}
