import { isIPv4 } from 'node:net';
import type { RTCPeerConnectionConfig } from 'werift';
import { useAbsSendTime, useAudioLevelIndication, useSdesMid, useSdesRTPStreamId, useVideoOrientation } from 'werift';
import { weriftCodecs } from './codecs.js';
import './weriftStunFallback.js';
import type { MediaRouterOptions } from './MediaRouterOptions.js';
import { TaskQueue } from './TaskQueue.js';

/** The parts of an ICE candidate line the router decides on. */
export interface CandidateAddress {
  transport: string;
  address: string;
  port: number;
}

const LOOPBACK_ADDRESS = '127.0.0.1';

/** True for an IPv4 address of 127.0.0.0/8. */
export const isLoopbackAddress = (address: string) => isIPv4(address) && address.startsWith('127.');

/**
 * Parses `candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...`
 * (with or without the `a=` prefix); undefined when the line is not a candidate.
 */
export function parseCandidateLine(line: string): CandidateAddress | undefined {
  const body = line.trim().replace(/^a=/, '');
  if (!body.startsWith('candidate:')) return undefined;
  const fields = body.slice('candidate:'.length).split(/\s+/);
  const [, component, transport, priority, address, port, typ, type] = fields;
  if (!component || !transport || !priority || !address || !port || typ !== 'typ' || !type) return undefined;
  const portNumber = Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) return undefined;
  return { transport: transport.toLowerCase(), address, port: portNumber };
}

/**
 * Everything about addresses: the werift ICE configuration (which sockets, which host candidates),
 * which remote candidates are used, and the addresses written into answers.
 */
export class NetworkConfig {
  private readonly portAllocation = new TaskQueue();

  constructor(private readonly options: MediaRouterOptions) {}

  /**
   * Runs a step that opens sockets (werift gathers inside setLocalDescription). With a port range
   * the steps run one at a time: werift picks a port by binding a probe socket, closing it and
   * binding again, so two connections gathering at once can pick the same port, and the losing
   * bind fails with an 'error' event nobody listens to, which would end the process.
   */
  openSockets<T>(step: () => Promise<T>): Promise<T> {
    if (!this.options.portRange) return step();
    return this.portAllocation.push(step);
  }

  /** Whether clients' data channels are accepted (else answered with port 0). */
  get dataChannels(): boolean {
    return this.options.dataChannels;
  }

  /** Whether the router offers and accepts loopback addresses only. */
  get loopback(): boolean {
    return this.options.loopback;
  }

  /** werift's configuration for one server-side peer connection. */
  peerConfig(): RTCPeerConnectionConfig {
    const { loopback, iceServers, bindAddress, portRange, ipv6 } = this.options;
    const common: RTCPeerConnectionConfig = {
      codecs: weriftCodecs(),
      // Extensions the router understands; the others are refused in the answer, so their ids never
      // reach a viewer. transport-cc is left out on purpose: the publisher's bandwidth comes from REMB.
      // rtp-stream-id is what werift routes simulcast layers by (a publisher's rids).
      headerExtensions: {
        audio: [useSdesMid(), useAudioLevelIndication()],
        video: [useSdesMid(), useSdesRTPStreamId(), useAbsSendTime(), useVideoOrientation()],
      },
      iceServers,
      icePortRange: portRange,
      iceUseTcp: false,
    };
    if (loopback) {
      return {
        ...common,
        // werift skips loopback interfaces when gathering; listing 127.0.0.1 as an additional host
        // address and disabling interface discovery leaves it as the only candidate, and binding to
        // it keeps the sockets off every other interface.
        iceUseIpv4: false,
        iceUseIpv6: false,
        iceAdditionalHostAddresses: [LOOPBACK_ADDRESS],
        iceInterfaceAddresses: { udp4: LOOPBACK_ADDRESS },
        iceFilterCandidatePair: (pair) => isLoopbackAddress(pair.remoteCandidate.host),
      };
    }
    return {
      ...common,
      iceUseIpv4: true,
      iceUseIpv6: ipv6,
      // With a bind address werift offers only that interface's address (it falls back to all
      // interfaces when the address is not one of them, e.g. 0.0.0.0).
      iceInterfaceAddresses: bindAddress ? { udp4: bindAddress } : undefined,
    };
  }

  /**
   * Whether a remote candidate is given to werift: never an mDNS `.local` name (werift would
   * block ~10 s querying the LAN; peer-reflexive discovery connects anyway), never TCP (the server
   * has no TCP sockets), and in loopback mode only 127.0.0.0/8.
   */
  acceptsRemoteCandidate(candidate: CandidateAddress): boolean {
    if (candidate.transport !== 'udp') return false;
    if (candidate.address.toLowerCase().endsWith('.local')) return false;
    if (this.options.loopback) return isLoopbackAddress(candidate.address);
    return true;
  }

  /**
   * Writes the announced addresses into an answer in place of the host addresses: behind a 1:1 NAT
   * the sockets are bound to the private address, while clients must be told the public one.
   */
  announce(answerSdp: string): string {
    const announced = this.options.announcedAddresses;
    if (announced.length === 0) return answerSdp;
    const out: string[] = [];
    let announcedPorts = new Set<number>();
    for (const line of answerSdp.split('\r\n')) {
      if (line.startsWith('m=')) announcedPorts = new Set();
      const parsed = line.startsWith('a=candidate:') ? parseCandidateLine(line) : undefined;
      if (!parsed) {
        out.push(line);
        continue;
      }
      // Each socket (port) is announced once per m-section, whichever host address werift listed it under.
      if (announcedPorts.has(parsed.port)) continue;
      announcedPorts.add(parsed.port);
      announced.forEach((address, i) => {
        const fields = line.split(' ');
        fields[4] = address;
        // Distinct foundations keep the announced candidates apart in the client's checklist.
        fields[0] = `${fields[0]}${i}`;
        out.push(fields.join(' '));
      });
    }
    return out.join('\r\n');
  }
}
