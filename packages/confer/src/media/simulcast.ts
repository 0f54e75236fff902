/**
 * The simulcast layers of a camera, lowest first: rid, how many times smaller than the capture, and
 * the bitrate cap in bits per second. The rids are the wire protocol with the server (its media README).
 */
export const SIMULCAST_LAYERS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_700_000 },
] as const;

/**
 * The layers a capture of this size is sent in. libwebrtc (Chromium, Firefox) encodes at most three
 * layers from 960×540, two from 480×270 and one below, and drops the highest ones: a 640×480 camera
 * would lose its full-resolution layer. So a smaller capture leaves out the lowest layers instead.
 * Unknown sizes get all three. @internal
 */
export function layersFor(size: { width?: number | undefined; height?: number | undefined }): readonly (typeof SIMULCAST_LAYERS)[number][] {
  const pixels = (size.width ?? Infinity) * (size.height ?? Infinity);
  return SIMULCAST_LAYERS.slice(pixels >= 960 * 540 ? 0 : pixels >= 480 * 270 ? 1 : 2);
}

/** The rid of a simulcast layer: `q`uarter, `h`alf or `f`ull resolution. */
export type LayerRid = (typeof SIMULCAST_LAYERS)[number]['rid'];

/** What a viewer asks the server to forward; `null` means no limit. */
export interface VideoPreference {
  /** The widest picture worth receiving, in device pixels. */
  maxWidth: number | null;
  /** The tallest picture worth receiving, in device pixels. */
  maxHeight: number | null;
  /** Receive no video at all (audio goes on). */
  paused: boolean;
}

/** The layer the server forwards to this viewer, as it last said (`rid: null` while paused). */
export interface VideoLayer {
  rid: LayerRid | null;
  width: number;
  height: number;
}

/** The messages of the layer data channels, both ways (see the server's media README). @internal */
export type LayerMessage = ({ type: 'videoPreference' } & VideoPreference) | ({ type: 'layer' } & VideoLayer) | { type: 'activeLayers'; rids: string[] };

/**
 * One data channel of the layer protocol (`confer-layers` of a viewer, `confer-dynacast` of a
 * publisher): JSON text both ways. A server that rejects the channel (port 0) never opens it, so
 * nothing is sent and nothing arrives, and the media goes on as without it. @internal
 */
export class LayerChannel {
  constructor(
    private readonly channel: RTCDataChannel,
    onOpen: () => void,
    onMessage: (message: LayerMessage) => void,
  ) {
    channel.onopen = onOpen;
    channel.onmessage = (event: MessageEvent) => {
      try {
        onMessage(JSON.parse(event.data as string) as LayerMessage);
      } catch {
        // Not JSON: a message of a newer protocol, or noise; the media does not depend on it.
      }
    };
  }

  /** Sends when the channel is open; before that, the owner's `onOpen` sends the current state. */
  send(message: LayerMessage): void {
    if (this.channel.readyState === 'open') this.channel.send(JSON.stringify(message));
  }

  /** Detaches the handlers and closes the channel. */
  close(): void {
    this.channel.onopen = null;
    this.channel.onmessage = null;
    this.channel.close();
  }
}
