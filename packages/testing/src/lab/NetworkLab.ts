import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CommandError, run } from './exec.js';
import { LabHost, type LabEndpoint } from './LabHost.js';
import { LabServer } from './LabServer.js';
import { LoopbackBridge, startForwarder } from './forwarding.js';

/** Why the lab cannot run here, or `ok`. */
export type LabSupport = { ok: true } | { ok: false; reason: string };

/** Prefix of every namespace the lab makes; the rest names the run, the lab and the host. */
const PREFIX = 'confer-lab';

/** Something the lab closes with itself (a browser, a forwarder, a server). */
export interface LabResource {
  close(): Promise<void>;
}

let supportCheck: Promise<LabSupport> | undefined;
let labCount = 0;

/**
 * A throwaway network for one test: a hub namespace holding a bridge, and one namespace per host
 * (the server, each participant's browser), each joined to the bridge by a veth pair. The hosts
 * share a private /24 (10.213.X.0/24, X random) that exists only inside these namespaces, with a
 * default route via the hub's bridge address; the hub has no other interface and does not forward,
 * so nothing sent in the lab can leave it. Faults are per host ({@link LabHost}); the server runs as
 * a child process in its own namespace ({@link LabServer}). `close()` removes everything it made.
 */
export class NetworkLab {
  private readonly hosts = new Map<string, LabHost>();
  private readonly resources: LabResource[] = [];
  private server: LabServer | undefined;
  private closing: Promise<void> | undefined;
  private nextAddress = 2;

  private constructor(
    /** Unique per lab: `confer-lab-<run>-<n>`; every namespace name starts with it. */
    readonly id: string,
    /** The first three octets of the lab's /24, e.g. `10.213.57`. */
    readonly subnet: string,
    /** A directory for the lab's files (wrapper scripts, profiles, sockets), removed by close(). */
    readonly tempDir: string,
    private readonly pagesDir: string | undefined,
  ) {}

  /**
   * Whether this machine can host labs: root, `ip netns`, nftables and tc tbf in a namespace.
   * Checked once per process by making and removing a probe namespace.
   */
  static support(): Promise<LabSupport> {
    return (supportCheck ??= probeSupport());
  }

  /** Makes the hub namespace and its bridge. `pagesDir`: built pages for the lab server to serve (see {@link LabServer.pagesUrl}). */
  static async create(options: { pagesDir?: string } = {}): Promise<NetworkLab> {
    const support = await NetworkLab.support();
    if (!support.ok) throw new Error(`the network lab cannot run here: ${support.reason}`);
    labCount += 1;
    const id = `${PREFIX}-${runId()}-${process.pid}x${labCount}`;
    const subnet = `10.213.${1 + Math.floor(Math.random() * 254)}`;
    const tempDir = await mkdtemp(path.join(tmpdir(), `${id}-`));
    const lab = new NetworkLab(id, subnet, tempDir, options.pagesDir);
    try {
      await lab.makeHub();
    } catch (error) {
      await lab.close();
      throw error;
    }
    return lab;
  }

  /** The hub's namespace: the bridge `br0` at `<subnet>.1`, one `v<n>` port per host. */
  get hubNamespace(): string {
    return `${this.id}-hub`;
  }

  /** The hub's address, every host's default gateway. */
  get gateway(): string {
    return `${this.subnet}.1`;
  }

  /** The running lab server (after {@link startServer}). */
  get runningServer(): LabServer {
    if (!this.server) throw new Error('the lab has no server yet: call startServer() first');
    return this.server;
  }

  /** Adds a host `name` (unique in this lab, [a-z0-9]) with the next free address. */
  async addHost(name: string): Promise<LabHost> {
    this.assertOpen();
    if (!/^[a-z0-9]{1,12}$/.test(name)) throw new Error(`lab host names are 1-12 of [a-z0-9], got ${JSON.stringify(name)}`);
    if (this.hosts.has(name)) throw new Error(`the lab already has a host ${name}`);
    const index = this.nextAddress++;
    if (index > 254) throw new Error('the lab /24 is full');
    const namespace = `${this.id}-${name}`;
    const hubPort = `v${index}`;
    const host = new LabHost(name, namespace, `${this.subnet}.${index}`, { namespace: this.hubNamespace, interfaceName: hubPort }, () => this.serverEndpoint(), this.gateway);
    this.hosts.set(name, host);
    await run('ip', ['netns', 'add', namespace]);
    await quietResolver(namespace);
    const inHost = (...args: string[]) => run('ip', ['-n', namespace, ...args]);
    const inHub = (...args: string[]) => run('ip', ['-n', this.hubNamespace, ...args]);
    await inHost('link', 'set', 'lo', 'up');
    // Created in the hub with the host's end moved at once: the names are free in both namespaces.
    await inHub('link', 'add', hubPort, 'type', 'veth', 'peer', 'name', host.interfaceName, 'netns', namespace);
    await inHub('link', 'set', hubPort, 'master', 'br0', 'up');
    // IPv6 off: link-local candidates only slow ICE down, and the lab is IPv4.
    await run('ip', ['netns', 'exec', namespace, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    await inHost('addr', 'add', `${host.address}/24`, 'dev', host.interfaceName);
    await inHost('link', 'set', host.interfaceName, 'up');
    // Browsers gather host candidates only with a default route; it leads to the hub, a dead end.
    await inHost('route', 'add', 'default', 'via', this.gateway);
    return host;
  }

  /**
   * Starts the reference server in its own host `server` (API on :8080, the lab's pages on :8081).
   * `env`: more of its environment settings (e.g. `CONFER_GHOST_SICK_AFTER_MS`), `serverOptions`: server
   * options as JSON (e.g. `{ strict: true }`); both kept across restarts.
   */
  async startServer(options: { env?: Record<string, string>; serverOptions?: Record<string, unknown> } = {}): Promise<LabServer> {
    this.assertOpen();
    if (this.server) throw new Error('the lab already has a server');
    const host = await this.addHost('server');
    this.server = new LabServer(host, {
      tokenSecret: randomBytes(24).toString('hex'),
      ...(this.pagesDir ? { pagesDir: this.pagesDir } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.serverOptions ? { serverOptions: options.serverOptions } : {}),
    });
    await this.server.start();
    return this.server;
  }

  /**
   * Makes `127.0.0.1:<port>` inside `host` reach `127.0.0.1:<port>` of the runner (through a unix
   * socket, which every namespace can reach), so a browser on that host opens the app the test runner
   * serves under the same URL. Closed with the lab.
   */
  async forwardLoopbackPort(host: LabHost, port: number): Promise<void> {
    this.assertOpen();
    const socketPath = path.join(this.tempDir, `fwd-${host.name}-${port}.sock`);
    this.own(await LoopbackBridge.open(socketPath, port));
    this.own(await startForwarder(host, ['tcp-to-unix', String(port), socketPath]));
  }

  /** Hands `resource` to the lab: close() closes it, before the network goes away. */
  own<T extends LabResource>(resource: T): T {
    this.resources.push(resource);
    return resource;
  }

  /** Every host of the lab, server included. */
  allHosts(): LabHost[] {
    return [...this.hosts.values()];
  }

  /**
   * Closes the owned resources (newest first), kills the server, then deletes every namespace of
   * this lab (killing whatever still runs in them) and the temp dir. Idempotent; never throws.
   */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      for (const resource of this.resources.splice(0).reverse()) await resource.close().catch(() => undefined);
      await this.server?.close().catch(() => undefined);
      await removeNamespaces((name) => name.startsWith(`${this.id}-`));
      await rm(this.tempDir, { recursive: true, force: true });
    })());
  }

  private serverEndpoint(): LabEndpoint {
    const server = this.runningServer;
    return { address: server.host.address, port: server.port };
  }

  private async makeHub(): Promise<void> {
    const hub = this.hubNamespace;
    await run('ip', ['netns', 'add', hub]);
    await run('ip', ['-n', hub, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
    await run('ip', ['-n', hub, 'addr', 'add', `${this.gateway}/24`, 'dev', 'br0']);
    await run('ip', ['-n', hub, 'link', 'set', 'br0', 'up']);
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('the lab is closed');
  }
}

/** One id per test run (set by e2e/globalSetup.ts for every worker), so a sweep finds this run's leftovers only. */
export function runId(): string {
  process.env.CONFER_LAB_RUN ??= randomBytes(3).toString('hex');
  return process.env.CONFER_LAB_RUN;
}

/**
 * Removes this run's leftover namespaces (a worker that was killed mid-test never ran close()):
 * kills the processes still inside them, then deletes them. Called from the global teardown.
 */
export async function sweepRun(id = process.env.CONFER_LAB_RUN): Promise<void> {
  if (!id) return;
  await removeNamespaces((name) => name.startsWith(`${PREFIX}-${id}-`)).catch(() => undefined);
}

async function removeNamespaces(matches: (name: string) => boolean): Promise<void> {
  const listing = await run('ip', ['netns', 'list']).catch(() => '');
  const names = listing
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '' && matches(name));
  for (const name of names) {
    // Only processes this lab started live in its namespaces; a crashed close() may have left some.
    const pids = await run('ip', ['netns', 'pids', name]).catch(() => '');
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    await rm(path.join(NETNS_ETC, name), { recursive: true, force: true });
  }
}

/** `ip netns exec <name>` bind-mounts the files of /etc/netns/<name>/ over those of /etc/. */
const NETNS_ETC = '/etc/netns';

/**
 * Points the host's resolver at its own loopback, where nothing answers: the browsers look names up
 * now and then (the machine's resolver is outside the lab, so those packets would die at the hub
 * anyway); this way a lookup fails at once and nothing even reaches the hub.
 */
async function quietResolver(namespace: string): Promise<void> {
  const dir = path.join(NETNS_ETC, namespace);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
}

async function probeSupport(): Promise<LabSupport> {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'making network namespaces needs root (run the lab as root, or in CI through .ci/run)' };
  const probe = `${PREFIX}-probe-${process.pid}-${randomBytes(2).toString('hex')}`;
  try {
    await run('ip', ['netns', 'add', probe]);
  } catch (error) {
    return { ok: false, reason: `\`ip netns add\` failed (is iproute2 installed?): ${describe(error)}` };
  }
  try {
    try {
      await run('ip', ['-n', probe, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
      await run('ip', ['-n', probe, 'link', 'add', 'b0', 'type', 'bridge']);
    } catch (error) {
      return { ok: false, reason: `veth pairs or bridges are unavailable: ${describe(error)}` };
    }
    try {
      await run('ip', ['netns', 'exec', probe, 'nft', '-f', '-'], {
        input: 'table inet probe {\n chain c { type filter hook input priority 0; policy accept; numgen random mod 100 < 1 drop; }\n}\n',
      });
    } catch (error) {
      return { ok: false, reason: `nftables does not work in a namespace (apt-get install nftables): ${describe(error)}` };
    }
  } finally {
    await run('ip', ['netns', 'del', probe]).catch(() => undefined);
  }
  return { ok: true };
}

function describe(error: unknown): string {
  return error instanceof CommandError ? error.message : String(error);
}
