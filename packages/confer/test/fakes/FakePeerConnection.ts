import { FakeTrack } from './media.js';
import { fakeSdp } from './sdp.js';

/** An RTCRtpSender stand-in recording setParameters and replaceTrack. */
export class FakeSender {
  parameters: RTCRtpSendParameters = { encodings: [{}], transactionId: 't', codecs: [], headerExtensions: [], rtcp: {} };
  readonly setParametersCalls: RTCRtpSendParameters[] = [];

  constructor(public track: MediaStreamTrack | null) {}

  getParameters(): RTCRtpSendParameters {
    return structuredClone(this.parameters);
  }

  async setParameters(parameters: RTCRtpSendParameters): Promise<void> {
    this.setParametersCalls.push(parameters);
    this.parameters = parameters;
  }

  async replaceTrack(track: MediaStreamTrack | null): Promise<void> {
    this.track = track;
  }
}

/** An RTCRtpTransceiver stand-in; `sendEncodings` become the sender's encodings, as in the browser. */
export class FakeTransceiver {
  readonly receiver: { track: MediaStreamTrack };
  readonly sender: FakeSender;

  constructor(
    readonly kind: 'audio' | 'video',
    public direction: RTCRtpTransceiverDirection,
    sendTrack: MediaStreamTrack | null,
    sendEncodings?: RTCRtpEncodingParameters[],
  ) {
    this.receiver = { track: new FakeTrack(kind) as unknown as MediaStreamTrack };
    this.sender = new FakeSender(sendTrack);
    if (sendEncodings?.length) this.sender.parameters.encodings = structuredClone(sendEncodings);
  }

  /** The rids the sender offers (rid-based simulcast). */
  get rids(): string[] {
    return this.sender.parameters.encodings.flatMap((encoding) => (encoding.rid ? [encoding.rid] : []));
  }
}

/** An RTCDataChannel stand-in: `open()` and `receive()` play the server, `sent` records what the library sent. */
export class FakeDataChannel {
  readyState: RTCDataChannelState = 'connecting';
  /** Every message sent, parsed from JSON. */
  readonly sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;

  constructor(readonly label: string) {}

  send(data: string): void {
    if (this.readyState !== 'open') throw new Error(`InvalidStateError: channel ${this.label} is ${this.readyState}`);
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.readyState = 'closed';
  }

  /** The server accepted the channel and SCTP connected. */
  open(): void {
    this.readyState = 'open';
    this.onopen?.();
  }

  /** A message from the server: an object is sent as JSON, a string as is. */
  receive(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }
}

/** Every fake peer connection created by one factory, so tests can inspect and drive them. */
export class FakePeerConnectionFactory {
  readonly created: FakePeerConnection[] = [];

  /** The `createPeerConnection` option. */
  readonly create = (configuration: RTCConfiguration): RTCPeerConnection => {
    const pc = new FakePeerConnection(configuration);
    this.created.push(pc);
    return pc as unknown as RTCPeerConnection;
  };

  get open(): FakePeerConnection[] {
    return this.created.filter((pc) => !pc.closed);
  }
}

/** An RTCPeerConnection stand-in: offers an SDP built from its transceivers, records what happens. */
export class FakePeerConnection {
  readonly transceivers: FakeTransceiver[] = [];
  readonly channels: FakeDataChannel[] = [];
  readonly log: string[] = [];
  localDescription: RTCSessionDescriptionInit | null = null;
  private stableLocalDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  connectionState: RTCPeerConnectionState = 'new';
  closed = false;
  /** ICE restarts so far. */
  iceGeneration = 0;
  onicecandidate: ((event: { candidate: RTCIceCandidate | null }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  /** Makes setRemoteDescription fail, to test negotiation errors. */
  failRemoteDescription = false;
  /** Whether an answer without simulcast leaves only the first encoding (JSEP §5.10, Chromium); false keeps them all. */
  trimsRefusedSimulcast = true;

  constructor(readonly configuration: RTCConfiguration) {}

  addTransceiver(trackOrKind: MediaStreamTrack | 'audio' | 'video', init?: RTCRtpTransceiverInit): FakeTransceiver {
    const track = typeof trackOrKind === 'string' ? null : trackOrKind;
    const kind = (typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind) as 'audio' | 'video';
    const transceiver = new FakeTransceiver(kind, init?.direction ?? 'sendrecv', track, init?.sendEncodings);
    this.transceivers.push(transceiver);
    this.log.push(`addTransceiver:${kind}:${transceiver.direction}`);
    return transceiver;
  }

  createDataChannel(label: string): FakeDataChannel {
    const channel = new FakeDataChannel(label);
    this.channels.push(channel);
    this.log.push(`createDataChannel:${label}`);
    return channel;
  }

  getTransceivers(): FakeTransceiver[] {
    return this.transceivers;
  }

  getSenders(): FakeSender[] {
    return this.transceivers.map((t) => t.sender);
  }

  /** Records the restart; the next offer carries new ICE credentials (`a=ice-ufrag:fake<n>`). */
  restartIce(): void {
    this.log.push('restartIce');
    this.iceGeneration++;
  }

  async createOffer(): Promise<RTCSessionDescriptionInit> {
    this.log.push('createOffer');
    const sdp = fakeSdp(this.transceivers.map((t) => ({ kind: t.kind, direction: t.direction, rids: t.rids })));
    return { type: 'offer', sdp: this.iceGeneration === 0 ? sdp : `${sdp}a=ice-ufrag:fake${this.iceGeneration}\r\n` };
  }

  /** A rollback restores the description before the last offer, and the ICE credentials with it. */
  async setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    if (description.type === 'rollback') {
      this.log.push('rollback');
      this.localDescription = this.stableLocalDescription;
      this.iceGeneration--;
      return;
    }
    this.log.push('setLocalDescription');
    this.stableLocalDescription = this.localDescription;
    this.localDescription = description;
  }

  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.log.push('setRemoteDescription');
    if (this.failRemoteDescription) throw new Error('InvalidAccessError: fake refusal');
    this.remoteDescription = description;
    if (this.trimsRefusedSimulcast && !description.sdp?.includes('a=simulcast:recv')) for (const { sender } of this.transceivers) sender.parameters.encodings.splice(1);
  }

  /** A report naming this connection, so a test can tell whose stats it got. */
  async getStats(): Promise<RTCStatsReport> {
    return new Map([['fake', { id: 'fake', type: 'peer-connection', connection: this }]]) as unknown as RTCStatsReport;
  }

  close(): void {
    this.log.push('close');
    this.closed = true;
    this.connectionState = 'closed';
    for (const channel of this.channels) channel.close();
  }

  /** Emits a local candidate as the browser would (null = end of gathering). */
  emitCandidate(candidate: string | null, sdpMid = '0'): void {
    const init = candidate === null ? null : ({ candidate, sdpMid, sdpMLineIndex: 0 } as RTCIceCandidate);
    this.onicecandidate?.({ candidate: init });
  }

  /** Moves the connection state and fires the handler. */
  setConnectionState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }
}
