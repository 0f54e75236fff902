import type { Socket } from 'node:dgram';
import type { RTCPeerConnection } from 'werift';
import type { MediaCounters } from './MediaRouter.js';

/** A timer created through the tracker; `clear()` is idempotent. */
export interface TrackedTimer {
  clear(): void;
}

/** The werift internals that hold a peer connection's UDP sockets (werift 0.24: IceConnection.protocols[].transport.socket). */
interface IceInternals {
  connection?: { protocols?: Array<{ transport?: { socket?: unknown } }> };
}

const isUdpSocket = (x: unknown): x is Socket =>
  typeof x === 'object' && x !== null && typeof (x as Socket).once === 'function' && typeof (x as Socket).address === 'function';

/**
 * Counts what the media plane holds, from the resources themselves: a peer connection until its
 * close() has finished, a UDP socket until Node emits its 'close' event, a timer until it fired or
 * was cleared. A leak therefore shows up in `counters()` even after its owner forgot it.
 */
export class ResourceTracker {
  private readonly peerConnections = new Set<RTCPeerConnection>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<TrackedTimer>();
  private readonly closing = new Set<Promise<void>>();
  private publishers = 0;
  private viewers = 0;

  /** Registers a new peer connection; it stays counted until {@link closePeerConnection} has finished. */
  addPeerConnection(pc: RTCPeerConnection): void {
    this.peerConnections.add(pc);
  }

  /** Closes a peer connection in the background and stops counting it once werift is done. */
  closePeerConnection(pc: RTCPeerConnection): void {
    if (!this.peerConnections.has(pc)) return;
    this.adoptSockets(pc);
    const done = pc
      .close()
      .catch(() => undefined)
      .finally(() => {
        this.peerConnections.delete(pc);
        this.closing.delete(done);
      });
    this.closing.add(done);
  }

  /**
   * Starts counting the UDP sockets werift opened for a peer connection (call after gathering).
   * Reads werift internals; if they move, no socket is found and the media tests fail loudly.
   */
  adoptSockets(pc: RTCPeerConnection): void {
    for (const transport of pc.iceTransports as unknown as IceInternals[]) {
      for (const protocol of transport.connection?.protocols ?? []) {
        const socket = protocol.transport?.socket;
        if (!isUdpSocket(socket) || this.sockets.has(socket)) continue;
        try {
          socket.address();
        } catch {
          continue; // already closed: address() throws ERR_SOCKET_DGRAM_NOT_RUNNING
        }
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
      }
    }
  }

  /** setTimeout that is counted until it fires or is cleared. */
  setTimeout(fn: () => void, ms: number): TrackedTimer {
    const handle = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    const timer: TrackedTimer = {
      clear: () => {
        clearTimeout(handle);
        this.timers.delete(timer);
      },
    };
    this.timers.add(timer);
    return timer;
  }

  /** setInterval that is counted until cleared. */
  setInterval(fn: () => void, ms: number): TrackedTimer {
    const handle = setInterval(fn, ms);
    const timer: TrackedTimer = {
      clear: () => {
        clearInterval(handle);
        this.timers.delete(timer);
      },
    };
    this.timers.add(timer);
    return timer;
  }

  /** Counts a live publisher or viewer (+1 when created, -1 when closed). */
  countPublisher(delta: 1 | -1): void {
    this.publishers += delta;
  }

  /** See {@link countPublisher}. */
  countViewer(delta: 1 | -1): void {
    this.viewers += delta;
  }

  /** The live resources. */
  counters(): MediaCounters {
    return {
      publishers: this.publishers,
      viewers: this.viewers,
      peerConnections: this.peerConnections.size,
      udpSockets: this.sockets.size,
      timers: this.timers.size,
    };
  }

  /** Resolves when every peer connection close started so far has finished. */
  async settled(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }
}
