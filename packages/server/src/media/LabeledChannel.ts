import type { RTCDataChannel, RTCPeerConnection } from 'werift';

/**
 * The data channel of one label that a client opens on its peer connection (`confer-layers` of a
 * viewer, `confer-dynacast` of a publisher), carrying JSON text. Messages are states, not events:
 * one sent before the channel is open is kept (only the latest) and sent when it opens. A client
 * whose offer has no data channel simply never opens one; nothing else depends on it.
 */
export class LabeledChannel {
  private channel: RTCDataChannel | undefined;
  private pending: string | undefined;
  private readonly unsubscribers: Array<() => void> = [];
  private closed = false;
  /** Messages sent and received, for tests and benchmarks. */
  readonly stats = { sent: 0, received: 0 };

  constructor(
    pc: RTCPeerConnection,
    private readonly label: string,
    private readonly onMessage: (text: string) => void = () => undefined,
  ) {
    const { unSubscribe } = pc.onDataChannel.subscribe((channel) => this.adopt(channel));
    this.unsubscribers.push(unSubscribe);
  }

  /** Whether the client's channel is open. */
  get isOpen(): boolean {
    return this.channel?.readyState === 'open';
  }

  /** Sends a message now, or when the channel opens (then only the latest one). */
  send(message: object): void {
    if (this.closed) return;
    const text = JSON.stringify(message);
    if (!this.isOpen) {
      this.pending = text;
      return;
    }
    this.write(text);
  }

  /** Stops listening; the channel itself goes with its peer connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.length = 0;
  }

  private adopt(channel: RTCDataChannel): void {
    if (this.closed || channel.label !== this.label) return;
    this.channel = channel;
    const message = channel.onMessage.subscribe((data) => {
      if (this.closed || typeof data !== 'string') return;
      this.stats.received++;
      this.onMessage(data);
    });
    const state = channel.stateChanged.subscribe((s) => {
      if (s === 'open') this.flush();
    });
    this.unsubscribers.push(message.unSubscribe, state.unSubscribe);
    this.flush();
  }

  private flush(): void {
    if (this.pending === undefined || !this.isOpen) return;
    const text = this.pending;
    this.pending = undefined;
    this.write(text);
  }

  private write(text: string): void {
    try {
      this.channel!.send(text);
      this.stats.sent++;
    } catch {
      // A channel closing under us: the next state is sent on the next channel, if any.
      this.pending = text;
    }
  }
}
