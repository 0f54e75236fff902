/**
 * Started inside a lab namespace by {@link startForwarder}; pipes connections between a unix socket
 * (a file, so reachable from every network namespace) and a TCP port of that namespace's loopback:
 *
 *   unix-to-tcp <socket> <port>   accepts on <socket>, connects to 127.0.0.1:<port> (reach Firefox's BiDi port)
 *   tcp-to-unix <port> <socket>   accepts on 127.0.0.1:<port>, connects to <socket> (reach the runner's app server)
 *
 * Prints `FORWARDER_READY` when listening; exits when its parent's pipe closes or on SIGTERM.
 */
import { connect, createServer, type Socket } from 'node:net';

const [mode, from, to] = process.argv.slice(2);
if ((mode !== 'unix-to-tcp' && mode !== 'tcp-to-unix') || !from || !to) throw new Error('usage: unixForwarder.ts unix-to-tcp <socket> <port> | tcp-to-unix <port> <socket>');

const upstream = (): Socket => (mode === 'unix-to-tcp' ? connect(Number(to), '127.0.0.1') : connect(to));
const server = createServer((client) => {
  const target = upstream();
  client.pipe(target).pipe(client);
  const end = () => {
    client.destroy();
    target.destroy();
  };
  client.on('error', end).on('close', end);
  target.on('error', end).on('close', end);
});
const ready = () => process.stdout.write('FORWARDER_READY\n');
if (mode === 'unix-to-tcp') server.listen(from, ready);
else server.listen(Number(from), '127.0.0.1', ready);
process.once('SIGTERM', () => server.close(() => process.exit(0)));
// Started with a stdin pipe: when the runner dies, stdin ends and the forwarder goes too.
process.stdin.resume().on('end', () => process.exit(0));
