import { Agent, createServer, request as httpRequest } from 'node:http';
import { onCleanup } from './cleanup.js';
import { listenOnLoopback } from './listenOnLoopback.js';

/** One HTTP exchange as it crossed the wire. */
export interface ProxiedExchange {
  method: string;
  path: string;
  /** The operation: the last path segment (`join`, `viewStream`, `events`, `token`...). */
  op: string;
  status: number;
  /** Request line, headers and body as the browser sent them. */
  requestBytes: number;
  /** Status line, headers and body as the server answered. */
  responseBytes: number;
  start: number;
  end: number;
}

/** A transparent HTTP proxy in front of the server that logs every exchange (CORS preflights too). */
export interface CountingProxy {
  url: string;
  exchanges: ProxiedExchange[];
  close(): Promise<void>;
}

function operationOf(path: string): string {
  const pathname = path.split('?')[0]!;
  if (pathname.endsWith('/oauth/token')) return 'token';
  return pathname.slice(pathname.lastIndexOf('/') + 1);
}

function headerBytes(rawHeaders: string[]): number {
  let bytes = 2;
  for (let i = 0; i < rawHeaders.length; i += 2) bytes += Buffer.byteLength(`${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`);
  return bytes;
}

/**
 * Starts a proxy on 127.0.0.1 that forwards to `target`. Counting on the wire rather than in the
 * page sees what `fetch` instrumentation cannot: the CORS preflights a cross-origin page sends.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const exchanges: ProxiedExchange[] = [];
  const server = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    const exchange: ProxiedExchange = {
      method: incoming.method ?? 'GET',
      path,
      op: operationOf(path),
      status: 0,
      requestBytes: Buffer.byteLength(`${incoming.method} ${path} HTTP/1.1\r\n`) + headerBytes(incoming.rawHeaders),
      responseBytes: 0,
      start: performance.timeOrigin + performance.now(),
      end: Number.NaN,
    };
    exchanges.push(exchange);
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path, headers: incoming.headers, agent },
      (answer) => {
        exchange.status = answer.statusCode ?? 0;
        exchange.responseBytes += Buffer.byteLength(`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}\r\n`) + headerBytes(answer.rawHeaders);
        outgoing.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.on('data', (chunk: Buffer) => {
          exchange.responseBytes += chunk.length;
          outgoing.write(chunk);
        });
        answer.on('end', () => {
          exchange.end = performance.timeOrigin + performance.now();
          outgoing.end();
        });
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.on('data', (chunk: Buffer) => {
      exchange.requestBytes += chunk.length;
      forward.write(chunk);
    });
    incoming.on('end', () => forward.end());
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) forward.destroy();
    });
  });
  const listening = await listenOnLoopback(server);
  const close = () => {
    agent.destroy();
    return listening.close();
  };
  onCleanup('counting proxy', close);
  return { url: `http://127.0.0.1:${listening.port}`, exchanges, close };
}
