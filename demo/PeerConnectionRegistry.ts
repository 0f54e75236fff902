import type { CreatePeerConnection } from 'confer';

/**
 * Keeps the peer connections the library creates, through its `createPeerConnection` option, so a
 * tile can read the stats of the connection carrying its tracks: the library has one connection
 * per published or viewed stream, so that connection's whole report is the tile's.
 */
export class PeerConnectionRegistry {
  private readonly connections = new Set<RTCPeerConnection>();

  /** Pass this as the Room's `createPeerConnection`. */
  readonly create: CreatePeerConnection = (configuration) => {
    const pc = new RTCPeerConnection(configuration);
    this.connections.add(pc);
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'closed') this.connections.delete(pc);
    });
    return pc;
  };

  /** The open connection that sends or receives one of `stream`'s tracks. */
  find(stream: MediaStream): RTCPeerConnection | undefined {
    const tracks = new Set(stream.getTracks());
    for (const pc of this.connections) {
      if (pc.connectionState === 'closed') {
        this.connections.delete(pc);
        continue;
      }
      const carried = [...pc.getSenders(), ...pc.getReceivers()].map((endpoint) => endpoint.track);
      if (carried.some((track) => track !== null && tracks.has(track))) return pc;
    }
    return undefined;
  }

  /** Forgets every connection (the room that made them is gone). */
  clear(): void {
    this.connections.clear();
  }
}
