/**
 * Child-process entry of the reference server for benchmarks: the server gets its own process so
 * its CPU and memory can be read from /proc and the load generators do not share its event loop.
 * Options come as JSON in CONFER_BENCH_SERVER_OPTIONS; prints `{"url": ...}` once listening; stops
 * on SIGTERM or when the parent closes stdin (so a killed parent never leaves a server behind).
 */
import { startServer } from '@confer/server';

const options = JSON.parse(process.env.CONFER_BENCH_SERVER_OPTIONS ?? '{}') as Parameters<typeof startServer>[0];
const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'error', announce: () => undefined, ...options });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
