/**
 * `npm run demo`: starts the reference conference server and the demo's Vite dev server together,
 * prints the URL to open, and stops both on Ctrl-C (SIGINT) or SIGTERM.
 * Environment: HOST / PORT for the conference server (default 127.0.0.1:8080), DEMO_PORT for the
 * page (default 5173), RTC_LOOPBACK=1 to keep media on 127.0.0.1.
 */
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { startServer } from '@confer/server';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const demoPort = Number(process.env.DEMO_PORT ?? 5173);

const conference = await startServer({ host, port });
// Vite exposes VITE_* variables of its own process to the page as import.meta.env.
process.env.VITE_CONFER_SERVER = conference.url;

// A failure below ends the process (top-level await), which also releases the conference server.
const vite = await createServer({
  configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)),
  server: { host, port: demoPort, strictPort: false },
});
await vite.listen();

const pageUrl = vite.resolvedUrls?.local[0] ?? `http://${host}:${demoPort}/`;
process.stdout.write(
  [
    '',
    `  Conference server  ${conference.url}`,
    `  Demo               ${pageUrl}`,
    '',
    `  Open ${pageUrl} in two browser windows (or share ${pageUrl}?room=NAME), enter a name, join.`,
    '  Ctrl-C stops both.',
    '',
  ].join('\n'),
);

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the demo and the conference server…\n`);
  await Promise.allSettled([vite.close(), conference.close()]);
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
