import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MediaRouterError, type IceCandidate, type PublishRequest, type StreamRef, type ViewRequest } from '../media/MediaRouter.js';

/** The media operations one node forwards to the node a conference is placed on. */
export interface ForwardedMedia {
  publish(request: PublishRequest): Promise<{ sdpAnswer: string }>;
  addPublishCandidates(stream: StreamRef, candidates: IceCandidate[]): Promise<void>;
  setVideoBitrate(stream: StreamRef, videoBitrate: number): Promise<void>;
  unpublish(stream: StreamRef): Promise<void>;
  view(request: ViewRequest): Promise<{ sdpAnswer: string }>;
  addViewCandidates(stream: StreamRef, viewerId: string, candidates: IceCandidate[]): Promise<void>;
  stopView(stream: StreamRef, viewerId: string): Promise<void>;
}

type Operation = keyof ForwardedMedia;

// One argument list per operation, so the wire format is the method's own parameters.
const OPERATIONS: Record<Operation, number> = {
  publish: 1,
  addPublishCandidates: 2,
  setVideoBitrate: 2,
  unpublish: 1,
  view: 1,
  addViewCandidates: 3,
  stopView: 2,
};

const STATUS = { 'bad-request': 400, 'not-found': 404, internal: 500 } as const;
const BODY_LIMIT_BYTES = 1_048_576;
const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The internal channel between nodes: HTTP on its own port (127.0.0.1 by default), every request
 * carrying the cluster's shared secret as a bearer token. HTTP rather than request/reply through
 * Redis: an SDP offer goes straight to the one node that needs it, a dead node fails the call at
 * once (connection refused) instead of after a reply timeout, and Redis carries no media traffic.
 */
export class InternalChannelServer {
  private readonly server: Server;
  private readonly expected: Buffer;

  private constructor(
    secret: string,
    private readonly target: ForwardedMedia,
  ) {
    this.expected = digest(`Bearer ${secret}`);
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  /** Listens on host:port (0 picks a free port) and serves `target`'s operations. */
  static async listen(host: string, port: number, secret: string, target: ForwardedMedia): Promise<InternalChannelServer> {
    const channel = new InternalChannelServer(secret, target);
    await new Promise<void>((resolve, reject) => {
      channel.server.once('error', reject);
      channel.server.listen(port, host, () => resolve());
    });
    return channel;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** True while it accepts connections. */
  get listening(): boolean {
    return this.server.listening;
  }

  /** Stops listening and drops idle connections; calls in progress finish. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? null));
    };
    // Liveness only, without the secret: a sweeper asks it before taking a silent node's conferences.
    if (request.method === 'GET' && request.url === '/ping') return reply(200, { ok: true });
    const given = digest(request.headers.authorization ?? '');
    if (!timingSafeEqual(given, this.expected)) return reply(401, { code: 'unauthorized', message: 'the internal channel needs the cluster secret as a bearer token' });
    const operation = /^\/media\/(\w+)$/.exec(request.url ?? '')?.[1] as Operation | undefined;
    if (request.method !== 'POST' || !operation || !Object.hasOwn(OPERATIONS, operation)) {
      return reply(404, { code: 'not-found', message: `no internal operation ${request.method ?? ''} ${request.url ?? ''}` });
    }
    try {
      const args = await readJson(request);
      if (!Array.isArray(args) || args.length !== OPERATIONS[operation]) throw new MediaRouterError('bad-request', `${operation} takes ${OPERATIONS[operation]} arguments`);
      const method = this.target[operation] as (...a: unknown[]) => Promise<unknown>;
      reply(200, await method.apply(this.target, args));
    } catch (error) {
      if (error instanceof MediaRouterError) return reply(STATUS[error.code], { code: error.code, message: error.message });
      reply(500, { code: 'internal', message: (error as Error).message });
    }
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT_BYTES) throw new MediaRouterError('bad-request', `the body is larger than ${BODY_LIMIT_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new MediaRouterError('bad-request', 'the body is not JSON');
  }
}

/** A node refused the connection: nothing listens on its internal channel, so its process is gone (or restarting). */
export class UnreachableNodeError extends MediaRouterError {
  constructor(
    /** The node that refused. */
    readonly nodeId: string,
    message: string,
  ) {
    super('internal', message);
    this.name = 'UnreachableNodeError';
  }
}

/** Calls one node's internal channel; every failure is a {@link MediaRouterError}, an unreachable node an `internal` one. */
export class InternalChannelClient {
  constructor(
    private readonly secret: string,
    private readonly timeoutMs: number,
  ) {}

  /** The node at `baseUrl` as a {@link ForwardedMedia}, `nodeId` naming it in errors. */
  node(nodeId: string, baseUrl: string): ForwardedMedia {
    const call = <T>(operation: Operation) => (...args: unknown[]) => this.call<T>(nodeId, baseUrl, operation, args);
    return {
      publish: call('publish'),
      addPublishCandidates: call('addPublishCandidates'),
      setVideoBitrate: call('setVideoBitrate'),
      unpublish: call('unpublish'),
      view: call('view'),
      addViewCandidates: call('addViewCandidates'),
      stopView: call('stopView'),
    };
  }

  /** True when the node at `baseUrl` answers its ping within `timeoutMs` (its process lives, however late its heartbeat). */
  async ping(baseUrl: string, timeoutMs: number): Promise<boolean> {
    try {
      return (await fetch(`${baseUrl}/ping`, { signal: AbortSignal.timeout(timeoutMs) })).ok;
    } catch {
      return false;
    }
  }

  private async call<T>(nodeId: string, baseUrl: string, operation: Operation, args: unknown[]): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/media/${operation}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify(args),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const message = `media node ${nodeId} did not answer ${operation}: ${describeFailure(error)}`;
      if (describeFailure(error) === 'ECONNREFUSED') throw new UnreachableNodeError(nodeId, message);
      throw new MediaRouterError('internal', message);
    }
    const body = (await response.json().catch(() => null)) as { code?: string; message?: string } | null;
    if (response.ok) return body as T;
    const code = body?.code === 'bad-request' || body?.code === 'not-found' ? body.code : 'internal';
    throw new MediaRouterError(code, body?.message ?? `media node ${nodeId} answered ${operation} with ${response.status}`);
  }
}

function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).message;
}
