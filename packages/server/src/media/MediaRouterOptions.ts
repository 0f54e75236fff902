import os from 'node:os';

/** Video codecs the router can forward; the order of `videoCodecs` is the server's preference. */
export type VideoCodecName = 'VP8' | 'H264';

/** A STUN or TURN server handed to the server's ICE agent. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Settings of the werift media plane. Every field has a default; see {@link resolveMediaRouterOptions}. */
export interface MediaRouterOptions {
  /**
   * Offer only 127.0.0.1 and ignore remote candidates that are not loopback. Default: on when the
   * environment has `RTC_LOOPBACK=1` or when the machine has no interface but loopback.
   */
  loopback: boolean;
  /** ICE servers of the server's agent. Empty by default: werift's default public STUN server makes every answer wait for it. */
  iceServers: IceServer[];
  /** IPv4 address the UDP sockets bind to (and the only host address offered); all interfaces when absent. */
  bindAddress: string | undefined;
  /** Public addresses written into answers instead of the host addresses (1:1 NAT, e.g. a cloud VM's public IP). */
  announcedAddresses: string[];
  /** Inclusive UDP port range for the server's sockets; any free port when absent. */
  portRange: [number, number] | undefined;
  /** Also gather IPv6 host candidates (outside loopback mode). */
  ipv6: boolean;
  /** Cap in bits per second sent as REMB to a publisher that gave no `videoBitrate`. */
  defaultVideoBitrate: number;
  /** Minimum time between repeated keyframe requests (PLI/FIR) forwarded to one publisher; a new viewer's first request is not held back. */
  keyframeRequestIntervalMs: number;
  /** A published stream that delivers no RTP for this long makes its endpoint SICK. */
  noMediaTimeoutMs: number;
  /** Video codecs accepted from publishers, most preferred first. */
  videoCodecs: VideoCodecName[];
  /**
   * Accept the data channel a client's offer opens (a viewer's `confer-layers` preferences, a
   * publisher's `confer-dynacast`); false answers it with port 0, as a server without them (the
   * cloud) may: viewers then get the highest layer their downlink allows, publishers every layer.
   */
  dataChannels: boolean;
}

/** Defaults of every option except `loopback`, which depends on the machine. */
export const DEFAULT_MEDIA_ROUTER_OPTIONS: Omit<MediaRouterOptions, 'loopback'> = {
  iceServers: [],
  bindAddress: undefined,
  announcedAddresses: [],
  portRange: undefined,
  ipv6: false,
  defaultVideoBitrate: 1_500_000,
  keyframeRequestIntervalMs: 1_000,
  noMediaTimeoutMs: 10_000,
  videoCodecs: ['VP8', 'H264'],
  dataChannels: true,
};

/** True when every network interface of the machine is a loopback one (e.g. inside `unshare -n`). */
export function onlyLoopbackInterfaces(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): boolean {
  return Object.values(interfaces).every((addresses) => (addresses ?? []).every((address) => address.internal));
}

const isPositive = (x: number) => Number.isFinite(x) && x > 0;

/**
 * Fills in defaults and checks the values; throws a TypeError naming the bad option, since a
 * misconfigured media plane should stop the server at start rather than fail on the first call.
 */
export function resolveMediaRouterOptions(
  options: Partial<MediaRouterOptions>,
  env: NodeJS.ProcessEnv = process.env,
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
): MediaRouterOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved: MediaRouterOptions = {
    ...DEFAULT_MEDIA_ROUTER_OPTIONS,
    loopback: options.loopback ?? (env.RTC_LOOPBACK === '1' || onlyLoopbackInterfaces(interfaces)),
    ...defined,
  };
  const { portRange } = resolved;
  if (portRange && !(Number.isInteger(portRange[0]) && Number.isInteger(portRange[1]) && 0 < portRange[0] && portRange[0] < portRange[1] && portRange[1] <= 65535)) {
    // werift rejects a range whose bounds are equal, so a one-port range is refused here too.
    throw new TypeError(`media.portRange must be [min, max] with 0 < min < max <= 65535, got ${JSON.stringify(portRange)}`);
  }
  for (const key of ['defaultVideoBitrate', 'keyframeRequestIntervalMs', 'noMediaTimeoutMs'] as const) {
    if (!isPositive(resolved[key])) throw new TypeError(`media.${key} must be a positive number, got ${resolved[key]}`);
  }
  if (typeof resolved.dataChannels !== 'boolean') throw new TypeError(`media.dataChannels must be true or false, got ${JSON.stringify(resolved.dataChannels)}`);
  if (resolved.videoCodecs.length === 0 || resolved.videoCodecs.some((c) => c !== 'VP8' && c !== 'H264')) {
    throw new TypeError(`media.videoCodecs must list VP8 and/or H264, got ${JSON.stringify(resolved.videoCodecs)}`);
  }
  return resolved;
}
