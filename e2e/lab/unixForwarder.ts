/**
 * `node --import tsx unixForwarder.ts <socket> <port>`, started inside a lab namespace: accepts
 * connections on the unix socket <socket> and pipes each to 127.0.0.1:<port> of that namespace.
 * A socket file is reachable from every network namespace, so the runner can talk to a debugging
 * port that only the namespace's loopback can reach (Firefox's WebDriver BiDi). Prints
 * `FORWARDER_READY` when listening; exits when its parent's pipe closes or on SIGTERM.
 */
import { createServer, connect } from 'node:net';

const [socketPath, portText] = process.argv.slice(2);
const port = Number(portText);
if (!socketPath || !Number.isInteger(port)) throw new Error('usage: unixForwarder.ts <socket> <port>');

const server = createServer((client) => {
  const upstream = connect(port, '127.0.0.1');
  client.pipe(upstream).pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
});
server.listen(socketPath, () => process.stdout.write('FORWARDER_READY\n'));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
// Started with a stdin pipe: when the runner dies, stdin ends and the forwarder goes too.
process.stdin.resume().on('end', () => process.exit(0));
