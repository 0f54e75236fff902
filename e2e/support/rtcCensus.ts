/** What the page holds right now, as counted by {@link installRtcCensus}. */
export interface RtcCensusCounts {
  /** Peer connections created by the page. */
  peerConnectionsCreated: number;
  /** Peer connections whose `connectionState` is not `closed`. */
  livePeerConnections: number;
  /** Tracks (captured, cloned or received) whose `readyState` is `live`. */
  liveTracks: number;
}

/** The page-side census, on `window.__rtcCensus`. */
export interface RtcCensus {
  peerConnections: RTCPeerConnection[];
  tracks: Set<MediaStreamTrack>;
  counts(): RtcCensusCounts;
}

declare global {
  interface Window {
    __rtcCensus: RtcCensus;
  }
}

/**
 * Init script (runs before any page script): wraps the `RTCPeerConnection` constructor,
 * `getUserMedia`, `getDisplayMedia` and `MediaStreamTrack.clone` so a test can count what a page
 * still holds, e.g. after `room.leave()`. Runs in the browser: it must not use anything from
 * outside its own body, because Playwright sends it as source text.
 */
export function installRtcCensus(): void {
  const peerConnections: RTCPeerConnection[] = [];
  const tracks = new Set<MediaStreamTrack>();
  const remember = (stream: MediaStream): MediaStream => {
    for (const track of stream.getTracks()) tracks.add(track);
    return stream;
  };

  const NativePeerConnection = window.RTCPeerConnection;
  class CountedPeerConnection extends NativePeerConnection {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      peerConnections.push(this);
      this.addEventListener('track', (event) => tracks.add(event.track));
    }
  }
  window.RTCPeerConnection = CountedPeerConnection;

  const devices = navigator.mediaDevices;
  if (devices) {
    const getUserMedia = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => remember(await getUserMedia(constraints));
    const getDisplayMedia = devices.getDisplayMedia.bind(devices);
    devices.getDisplayMedia = async (options) => remember(await getDisplayMedia(options));
  }
  const clone = MediaStreamTrack.prototype.clone;
  MediaStreamTrack.prototype.clone = function cloneCounted(this: MediaStreamTrack) {
    const copy = clone.call(this);
    tracks.add(copy);
    return copy;
  };

  window.__rtcCensus = {
    peerConnections,
    tracks,
    counts: () => ({
      peerConnectionsCreated: peerConnections.length,
      livePeerConnections: peerConnections.filter((pc) => pc.connectionState !== 'closed').length,
      liveTracks: [...tracks].filter((track) => track.readyState === 'live').length,
    }),
  };
}
