import { run } from './exec.js';

/** Where a host's HTTP faults aim: the lab server's API address and port. */
export interface LabEndpoint {
  address: string;
  port: number;
}

/** The faults a host can have at once; each kind replaces its previous setting. */
type Fault = { kind: 'blackout' } | { kind: 'loss'; percent: number } | { kind: 'dropUdp' } | { kind: 'dropHttp'; to: LabEndpoint };

/** nftables table of the faults, one per host namespace. */
const TABLE = 'confer_lab';

/**
 * One machine of the lab: a network namespace joined to the hub's bridge by a veth pair (`eth0` on
 * this side), with one address in the lab's /24 and a default route via the hub. Faults act inside
 * this namespace only (nftables for drops, tc on both ends of the veth for bandwidth), so they hit
 * this host's traffic and nothing else. Created by {@link NetworkLab.addHost}.
 */
export class LabHost {
  private readonly faults = new Map<Fault['kind'], Fault>();
  private shaped = false;
  private unplugged = false;

  /** @internal */
  constructor(
    /** Short name, e.g. `server` or `alice`. */
    readonly name: string,
    /** The `ip netns` name; `ip netns exec <namespace> …` runs a command on this host. */
    readonly namespace: string,
    /** This host's IPv4 address in the lab. */
    readonly address: string,
    /** The hub namespace and the hub's end of this host's veth pair (shaped for downstream bandwidth). */
    private readonly hub: { namespace: string; interfaceName: string },
    /** The lab server's API endpoint, for {@link dropHttp}. */
    private readonly server: () => LabEndpoint,
    /** The hub's address: this host's default route, put back after {@link unplug}. */
    private readonly gateway: string,
  ) {}

  /** The interface of this host on the lab network. */
  readonly interfaceName = 'eth0';

  /** The argv prefix that runs a command on this host: `['ip', 'netns', 'exec', namespace]`. */
  get execPrefix(): string[] {
    return ['ip', 'netns', 'exec', this.namespace];
  }

  /** Drops every packet in and out except loopback: unplugged cable, dead Wi-Fi. Until {@link restore}. */
  async blackout(): Promise<void> {
    await this.setFault({ kind: 'blackout' });
  }

  /**
   * Takes this host's interface down: a pulled cable or a lost Wi-Fi, which the host's operating system
   * and its browser see (Chromium drops its connections and connection attempts on such a change).
   * Unlike {@link blackout}, where the link stays up and packets vanish further on. Until {@link restore}.
   */
  async unplug(): Promise<void> {
    this.unplugged = true;
    await run('ip', ['-n', this.namespace, 'link', 'set', this.interfaceName, 'down']);
  }

  /** Drops `percent` % of the packets in each direction, at random (nftables `numgen random`). */
  async loss(percent: number): Promise<void> {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new RangeError(`loss: percent must be an integer 0-100, got ${percent}`);
    await this.setFault({ kind: 'loss', percent });
  }

  /** Drops all UDP (ICE, DTLS, RTP: the media) in and out; HTTP to the server still works. */
  async dropUdp(): Promise<void> {
    await this.setFault({ kind: 'dropUdp' });
  }

  /** Drops TCP to and from the server's API port only (signalling and event polls); media still flows. */
  async dropHttp(): Promise<void> {
    await this.setFault({ kind: 'dropHttp', to: this.server() });
  }

  /**
   * Limits this host to `kbit` kbit/s each way with a token bucket (tc tbf) on both ends of its veth:
   * this kernel has no netem, so there is no added delay beyond the bucket's queue.
   */
  async bandwidth(kbit: number): Promise<void> {
    if (!Number.isFinite(kbit) || kbit <= 0) throw new RangeError(`bandwidth: kbit must be positive, got ${kbit}`);
    // 50 ms worth of bytes, at least a few full-size packets, or tbf stalls on every MTU-sized packet.
    const burstBytes = Math.max(Math.ceil((kbit * 1000) / 8 / 20), 4 * 1514);
    const tbf = ['root', 'tbf', 'rate', `${kbit}kbit`, 'burst', String(burstBytes), 'latency', '200ms'];
    await run('tc', ['-n', this.namespace, 'qdisc', 'replace', 'dev', this.interfaceName, ...tbf]);
    await run('tc', ['-n', this.hub.namespace, 'qdisc', 'replace', 'dev', this.hub.interfaceName, ...tbf]);
    this.shaped = true;
  }

  /** Lifts every fault of this host (drops, loss, bandwidth and a pulled cable). */
  async restore(): Promise<void> {
    this.faults.clear();
    await this.applyFaults();
    if (this.unplugged) {
      this.unplugged = false;
      await run('ip', ['-n', this.namespace, 'link', 'set', this.interfaceName, 'up']);
      // The kernel dropped the routes through the interface when it went down.
      await run('ip', ['-n', this.namespace, 'route', 'replace', 'default', 'via', this.gateway]);
    }
    if (this.shaped) {
      this.shaped = false;
      await run('tc', ['-n', this.namespace, 'qdisc', 'del', 'dev', this.interfaceName, 'root']).catch(() => undefined);
      await run('tc', ['-n', this.hub.namespace, 'qdisc', 'del', 'dev', this.hub.interfaceName, 'root']).catch(() => undefined);
    }
  }

  /**
   * SIGKILLs every process running on this host (`ip netns pids`), e.g. a participant's whole browser:
   * a crash, with no pagehide and no leave; the kernel closes their sockets. Returns how many it killed.
   */
  async killProcesses(): Promise<number> {
    const pids = (await run('ip', ['netns', 'pids', this.namespace])).split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // It exited meanwhile.
      }
    }
    return pids.length;
  }

  /** The nftables rules in force, as `nft list table` prints them (for failure reports). */
  async describeFaults(): Promise<string> {
    return run('ip', ['netns', 'exec', this.namespace, 'nft', 'list', 'table', 'inet', TABLE], { timeoutMs: 5_000 }).catch(() => '(no faults)');
  }

  private async setFault(fault: Fault): Promise<void> {
    this.faults.set(fault.kind, fault);
    await this.applyFaults();
  }

  /** Replaces the host's fault table in one nftables transaction (declare, delete, recreate). */
  private async applyFaults(): Promise<void> {
    const input: string[] = [];
    const output: string[] = [];
    for (const fault of this.faults.values()) {
      switch (fault.kind) {
        case 'blackout':
          input.push('iif != "lo" drop');
          output.push('oif != "lo" drop');
          break;
        case 'loss':
          input.push(`iif != "lo" numgen random mod 100 < ${fault.percent} drop`);
          output.push(`oif != "lo" numgen random mod 100 < ${fault.percent} drop`);
          break;
        case 'dropUdp':
          input.push('iif != "lo" meta l4proto udp drop');
          output.push('oif != "lo" meta l4proto udp drop');
          break;
        case 'dropHttp':
          input.push(`ip saddr ${fault.to.address} tcp sport ${fault.to.port} drop`);
          output.push(`ip daddr ${fault.to.address} tcp dport ${fault.to.port} drop`);
          break;
      }
    }
    const script = [`table inet ${TABLE}`, `delete table inet ${TABLE}`];
    if (input.length > 0) {
      script.push(
        `table inet ${TABLE} {`,
        '  chain input {',
        '    type filter hook input priority 0; policy accept;',
        ...input.map((rule) => `    ${rule}`),
        '  }',
        '  chain output {',
        '    type filter hook output priority 0; policy accept;',
        ...output.map((rule) => `    ${rule}`),
        '  }',
        '}',
      );
    }
    await run('ip', ['netns', 'exec', this.namespace, 'nft', '-f', '-'], { input: script.join('\n') + '\n' });
  }
}
