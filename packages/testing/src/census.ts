/** What the page holds right now, as counted by {@link installRtcCensus}. */
export interface RtcCensusCounts {
  /** Peer connections created by the page. */
  peerConnectionsCreated: number;
  /** Peer connections whose `connectionState` is not `closed`. */
  livePeerConnections: number;
  /** Tracks (captured, cloned or received) whose `readyState` is `live`. */
  liveTracks: number;
}

/** Each live peer connection and track, for failure messages. */
export interface RtcCensusDetails {
  peerConnections: Array<{ index: number; connectionState: RTCPeerConnectionState; receiving: boolean }>;
  tracks: Array<{ kind: string; label: string; source: 'captured' | 'received' | 'cloned' }>;
}

/** The page-side census, on `window.__rtcCensus`. */
export interface RtcCensus {
  peerConnections: RTCPeerConnection[];
  tracks: Set<MediaStreamTrack>;
  counts(): RtcCensusCounts;
  details(): RtcCensusDetails;
}

declare global {
  interface Window {
    __rtcCensus: RtcCensus;
  }
}

/**
 * Init script (runs before any page script; `context.addInitScript(installRtcCensus)`): wraps the
 * `RTCPeerConnection` constructor, `getUserMedia`, `getDisplayMedia` and `MediaStreamTrack.clone` so a
 * test can count what a page still holds, e.g. after leaving a call. Runs in the browser: it must not
 * use anything from outside its own body, because Playwright sends it as source text.
 */
export function installRtcCensus(): void {
  if (window.__rtcCensus) return;
  const peerConnections: RTCPeerConnection[] = [];
  const tracks = new Set<MediaStreamTrack>();
  const sources = new WeakMap<MediaStreamTrack, 'captured' | 'received' | 'cloned'>();
  const remember = (track: MediaStreamTrack, source: 'captured' | 'received' | 'cloned') => {
    tracks.add(track);
    sources.set(track, source);
  };
  const rememberStream = (stream: MediaStream): MediaStream => {
    for (const track of stream.getTracks()) remember(track, 'captured');
    return stream;
  };

  const NativePeerConnection = window.RTCPeerConnection;
  class CountedPeerConnection extends NativePeerConnection {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      peerConnections.push(this);
      this.addEventListener('track', (event) => remember(event.track, 'received'));
    }
  }
  window.RTCPeerConnection = CountedPeerConnection;

  const devices = navigator.mediaDevices;
  if (devices) {
    const getUserMedia = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => rememberStream(await getUserMedia(constraints));
    const getDisplayMedia = devices.getDisplayMedia.bind(devices);
    devices.getDisplayMedia = async (options) => rememberStream(await getDisplayMedia(options));
  }
  const clone = MediaStreamTrack.prototype.clone;
  MediaStreamTrack.prototype.clone = function cloneCounted(this: MediaStreamTrack) {
    const copy = clone.call(this);
    remember(copy, 'cloned');
    return copy;
  };

  const livePeerConnections = () => peerConnections.filter((pc) => pc.connectionState !== 'closed');
  const liveTracks = () => [...tracks].filter((track) => track.readyState === 'live');
  window.__rtcCensus = {
    peerConnections,
    tracks,
    counts: () => ({
      peerConnectionsCreated: peerConnections.length,
      livePeerConnections: livePeerConnections().length,
      liveTracks: liveTracks().length,
    }),
    details: () => ({
      peerConnections: livePeerConnections().map((pc) => ({
        index: peerConnections.indexOf(pc),
        connectionState: pc.connectionState,
        receiving: pc.getTransceivers().some((t) => t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv'),
      })),
      tracks: liveTracks().map((track) => ({ kind: track.kind, label: track.label, source: sources.get(track) ?? 'captured' })),
    }),
  };
}
