import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { nodeCommand } from '../ServerProcess.js';
import { killGroup, OutputTail, waitForOutput } from './exec.js';
import type { LabHost } from './LabHost.js';

/** Something started for a lab that closes with it. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Starts unixForwarder.ts inside `host`'s namespace with `args` (its mode and ends) and waits until it
 * listens. Closing it kills it.
 */
export async function startForwarder(host: LabHost, args: string[]): Promise<Closable> {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const { argv, cwd } = nodeCommand(new URL(`./unixForwarder${extension}`, import.meta.url));
  const [command, ...rest] = [...host.execPrefix, ...argv, ...args];
  // Own process group, and a stdin pipe whose end stops it if the runner dies.
  const child = spawn(command as string, rest, { cwd, env: process.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = new OutputTail();
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  try {
    await waitForOutput(child, 'stdout', /FORWARDER_READY/, output, 30_000, `the forwarder in ${host.name}`);
  } catch (error) {
    await killGroup(child);
    throw error;
  }
  return { close: () => killGroup(child) };
}

/** The runner's end of a `tcp-to-unix` forwarder: accepts on a unix socket and connects to 127.0.0.1:<port> of the runner. */
export class LoopbackBridge implements Closable {
  private constructor(
    private readonly server: Server,
    private readonly socketPath: string,
    private readonly sockets: Set<Socket>,
  ) {}

  /** Listens on `socketPath`, piping each connection to the runner's 127.0.0.1:`port`. */
  static open(socketPath: string, port: number): Promise<LoopbackBridge> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const target = connect(port, '127.0.0.1');
      sockets.add(client).add(target);
      client.pipe(target).pipe(client);
      const end = () => {
        client.destroy();
        target.destroy();
        sockets.delete(client);
        sockets.delete(target);
      };
      client.on('error', end).on('close', end);
      target.on('error', end).on('close', end);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve(new LoopbackBridge(server, socketPath, sockets)));
    });
  }

  async close(): Promise<void> {
    // close() waits for open connections (a browser's keep-alive ones), so end them first.
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.socketPath, { force: true });
  }
}
