/**
 * The process a {@link ServerProcess} starts (possibly inside a lab namespace): the reference server
 * configured from the environment like a deployment (HOST, PORT, CONFER_TOKEN_SECRET and the other
 * CONFER_* variables), then CONFER_TESTING_SERVER_OPTIONS (JSON) over that; optionally a static server
 * for built pages (CONFER_TESTING_PAGES_DIR on CONFER_TESTING_PAGES_PORT, for browsers that cannot
 * reach the runner's loopback). Prints `CONFER_SERVER_READY {"url":…}` once everything listens.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { serverOptionsFromEnv, startServer, type ServerOptions } from '@confer/server';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const fromEnv = serverOptionsFromEnv(process.env);
const fromJson = JSON.parse(process.env.CONFER_TESTING_SERVER_OPTIONS ?? '{}') as Partial<ServerOptions>;
const host = fromJson.host ?? fromEnv.host ?? '127.0.0.1';
const server = await startServer({ ...fromEnv, ...fromJson, host, media: { ...fromEnv.media, ...fromJson.media }, announce: () => undefined });
const pagesDir = process.env.CONFER_TESTING_PAGES_DIR;
const pages = pagesDir ? await servePages(path.resolve(pagesDir), host, Number(process.env.CONFER_TESTING_PAGES_PORT)) : undefined;
process.stdout.write(`CONFER_SERVER_READY ${JSON.stringify({ url: server.url })}\n`);

const shutdown = () => {
  pages?.close();
  void server.close().finally(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

/** A static file server for the built pages; only files under `root`, GET and HEAD. */
function servePages(root: string, address: string, port: number): Promise<Server> {
  const http = createServer((request, response) => {
    void (async () => {
      const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://pages').pathname);
      const file = path.join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
      const info = file.startsWith(root + path.sep) ? await stat(file).catch(() => undefined) : undefined;
      if (!info?.isFile() || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-store',
      });
      if (request.method === 'HEAD') response.end();
      else createReadStream(file).pipe(response);
    })();
  });
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, address, () => resolve(http));
  });
}
