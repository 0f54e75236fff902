/**
 * The lab server's process (started by LabServer inside its lab namespace): the reference server
 * configured from the environment like a deployment (HOST, PORT, CONFER_TOKEN_SECRET,
 * CONFER_MEDIA_BIND_ADDRESS), media on the real interface, plus a static server for the built e2e
 * pages (LAB_PAGES_DIR on LAB_PAGES_PORT). Prints `LAB_SERVER_READY {...}` once both listen.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { serverOptionsFromEnv, startServer } from '@confer/server';

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

const options = serverOptionsFromEnv(process.env);
const host = options.host ?? '';
const pagesDir = path.resolve(process.env.LAB_PAGES_DIR ?? '');
const pagesPort = Number(process.env.LAB_PAGES_PORT);
if (!host || !process.env.LAB_PAGES_DIR || !pagesPort) throw new Error('labServerMain: HOST, LAB_PAGES_DIR and LAB_PAGES_PORT are required');

const server = await startServer({ ...options, media: { ...options.media, loopback: false }, announce: () => undefined });
const pages = await servePages(pagesDir, host, pagesPort);
process.stdout.write(`LAB_SERVER_READY ${JSON.stringify({ url: server.url, pages: `http://${host}:${pagesPort}` })}\n`);

const shutdown = () => {
  pages.close();
  void server.close().finally(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

/** A static file server for the built pages; only files under `root`, GET and HEAD. */
function servePages(root: string, address: string, port: number): Promise<Server> {
  const http = createServer((request, response) => {
    void (async () => {
      const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://lab').pathname);
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
