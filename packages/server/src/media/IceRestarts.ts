import type { RTCPeerConnection } from 'werift';
import { offerRelation, staleOffer } from './peerNegotiation.js';
import type { SdpOffer } from './SdpOffer.js';
import type { TaskQueue } from './TaskQueue.js';

/**
 * The in-place renegotiations of one werift connection that answers a client's offers (a publisher's
 * or a viewer's): a reconnection offer from the same client connection is an ICE restart applied to
 * it, the offer applied last sent again gets the same answer, an older one is refused (see
 * `OfferRelation`). Reports when ICE is connected again after a restart, since the connection state
 * may never have left `connected` (werift notices a dead path only after 30 s).
 */
export class IceRestarts {
  private restarting = false;
  private lastAnswer: string | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly pc: RTCPeerConnection,
    /** The owner's queue of offer/answer steps: restarts and repeats wait for the answer before them. */
    private readonly negotiation: TaskQueue,
    onRestarted: () => void,
  ) {
    const { unSubscribe } = pc.iceConnectionStateChange.subscribe((state) => {
      if (state !== 'connected' || !this.restarting) return;
      this.restarting = false;
      onRestarted();
    });
    this.unsubscribe = unSubscribe;
  }

  /** Keeps the answer to the offer applied, for that offer sent again; returns it. */
  answered(sdp: string): string {
    this.lastAnswer = sdp;
    return sdp;
  }

  /**
   * Answers `offer` on this connection when it comes from the same client connection: an ICE restart
   * through `apply` (which applies it and makes the answer), the offer applied last with the same
   * answer; throws the 400 for an older one. Undefined for another connection's offer.
   */
  answerInPlace(offer: SdpOffer, apply: () => Promise<string>): Promise<{ sdpAnswer: string; restarted: boolean }> | undefined {
    const relation = offerRelation(this.pc, offer.narrowed(() => true));
    if (relation === 'other') return undefined;
    if (relation === 'stale') throw staleOffer();
    if (relation === 'repeat') return this.negotiation.push(async () => ({ sdpAnswer: this.lastAnswer ?? '', restarted: false }));
    return this.negotiation.push(async () => {
      this.restarting = true;
      return { sdpAnswer: this.answered(await apply()), restarted: true };
    });
  }

  /** Stops watching the connection's ICE state. */
  close(): void {
    this.unsubscribe();
  }
}
