import type { Logger } from '../util/logger.js';
import { SerialQueue } from '../util/SerialQueue.js';
import type { PeerSession } from './PeerSession.js';
import { acceptsSimulcast } from './sdp.js';
import { LayerChannel, layersFor, SIMULCAST_LAYERS } from './simulcast.js';

/** What SenderEncodings needs. @internal */
export interface SenderEncodingsOptions {
  /** The stream to send: every track gets a sendonly transceiver. */
  mediaStream: MediaStream;
  /** Send the video in the {@link SIMULCAST_LAYERS} its capture size allows (asked for, and the stream has video). */
  simulcast: boolean;
  /** Open the `confer-dynacast` data channel when the video goes out in layers. */
  dynacast: boolean;
  /** The stream's bitrate cap now, in bits per second (undefined: none). */
  bitrate: () => number | undefined;
  logger: Logger;
  /** Names the stream in log lines. */
  label: string;
}

/**
 * The encodings of one sending connection: it adds the stream's tracks (video in simulcast layers),
 * opens the dynacast channel on which the server says which layers anyone views, and applies the
 * bitrate cap and the layers' scale and activity to the video sender without renegotiating. One per
 * PeerSession, created before the first offer (the channel must be in it) and closed with it. @internal
 */
export class SenderEncodings {
  /** getParameters/setParameters pairs must not interleave: a stale transactionId is refused. */
  private readonly queue = new SerialQueue();
  private readonly channel: LayerChannel | undefined;
  /** Whether the connection sends simulcast: asked for, and accepted by the answer. */
  private layered = false;
  /** The rids the server last said someone views; undefined (all) until it says. */
  private activeRids: readonly string[] | undefined;
  private closed = false;

  /** `pc` is the session's own connection, for the data channel (PeerSession keeps it to itself). */
  constructor(
    private readonly session: PeerSession,
    pc: RTCPeerConnection | undefined,
    private readonly options: SenderEncodingsOptions,
  ) {
    const { mediaStream, simulcast, dynacast } = options;
    let layered = false;
    for (const track of mediaStream.getTracks()) {
      const layers = simulcast && track.kind === 'video' ? layersFor(track.getSettings?.() ?? {}) : [];
      layered ||= layers.length > 1;
      session.addTransceiver(track, { direction: 'sendonly', streams: [mediaStream], ...(layers.length > 1 ? { sendEncodings: layers.map((layer) => ({ ...layer })) } : {}) });
    }
    if (layered && dynacast && pc) {
      this.channel = new LayerChannel(pc.createDataChannel('confer-dynacast'), () => undefined, (message) => {
        if (message.type !== 'activeLayers' || !Array.isArray(message.rids)) return;
        this.activeRids = message.rids;
        this.update().catch((error: unknown) => options.logger.warn(`${options.label}: switching layers failed`, error));
      });
    }
  }

  /** The server's answer was set: sends the layers if it accepted them, and applies the encodings. */
  accept(sdpAnswer: string): Promise<void> {
    this.layered = this.options.simulcast && acceptsSimulcast(sdpAnswer);
    return this.update();
  }

  /** Applies the bitrate cap, and the layers' scale and activity, to the video sender's encodings (one update at a time). */
  update(): Promise<void> {
    return this.queue.push(async () => {
      const { simulcast, bitrate } = this.options;
      const cap = bitrate();
      const sender = this.closed ? undefined : this.session.getSenders().find((s) => s.track?.kind === 'video');
      if (!sender || (!simulcast && cap === undefined)) return;
      const parameters = sender.getParameters();
      // Firefox answers no encodings until the first negotiation completes; one default encoding is what it will use.
      if (!parameters.encodings || parameters.encodings.length === 0) parameters.encodings = [{}];
      parameters.encodings.forEach((encoding, index) => {
        const layer = this.layered ? SIMULCAST_LAYERS.find((l) => l.rid === encoding.rid) : undefined;
        const max = Math.min(layer?.maxBitrate ?? Infinity, cap ?? Infinity);
        if (max < Infinity) encoding.maxBitrate = max;
        else delete encoding.maxBitrate;
        if (!simulcast) return;
        // An answer without simulcast leaves the first (quarter) encoding, or all in browsers that keep them: send one, at full size.
        encoding.scaleResolutionDownBy = layer?.scaleResolutionDownBy ?? 1;
        encoding.active = this.layered ? (this.activeRids?.includes(encoding.rid ?? '') ?? true) : index === 0;
      });
      await sender.setParameters(parameters);
    });
  }

  /** Closes the dynacast channel; updates still queued find no sender. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel?.close();
  }
}
