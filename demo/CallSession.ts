import { Room } from 'confer';
import type { LocalStream, MediaKind, Participant, RemoteStream } from 'confer';
import type { DemoConfig } from './config.js';
import { userIdFor } from './config.js';
import { describeError } from './describeError.js';
import { displayName, ParticipantList } from './ParticipantList.js';
import { TileGrid } from './TileGrid.js';

/** The page elements a call drives. */
export interface CallElements {
  grid: HTMLElement;
  participants: HTMLElement;
  participantCount: HTMLElement;
  camera: HTMLButtonElement;
  microphone: HTMLButtonElement;
  screen: HTMLButtonElement;
  leave: HTMLButtonElement;
  end: HTMLButtonElement;
}

/** How the page shows a sentence to the user. */
export type ShowMessage = (text: string | undefined, kind?: 'error' | 'info') => void;

/** Which devices to publish right after joining. */
export interface Devices {
  camera: boolean;
  microphone: boolean;
}

/**
 * One call of the demo: a Room, the tiles of every stream, the participant list and the buttons.
 * A Room cannot be joined twice, so each join makes a new session; `onClosed` tells the page the
 * call is over (left, ended by someone, or gone) with the sentence to show.
 */
export class CallSession {
  private readonly room: Room;
  private readonly grid: TileGrid;
  private readonly list: ParticipantList;
  private readonly unbind: Array<() => void> = [];
  private readonly controller = new AbortController();
  private camera: LocalStream | undefined;
  private microphone: LocalStream | undefined;
  private screen: LocalStream | undefined;
  private closed = false;
  private endedHere = false;

  constructor(
    private readonly config: DemoConfig,
    private readonly name: string,
    private readonly roomName: string,
    private readonly elements: CallElements,
    private readonly showMessage: ShowMessage,
    private readonly onClosed: (message: string, kind: 'error' | 'info') => void,
  ) {
    this.room = new Room({
      baseUrl: config.serverUrl,
      auth: { clientId: config.clientId, clientSecret: config.clientSecret, userId: userIdFor(name) },
    });
    this.grid = new TileGrid(elements.grid);
    this.list = new ParticipantList(elements.participants, elements.participantCount);
  }

  /** Joins (creating the room when missing), then publishes the chosen devices; throws when the join fails. */
  async join(devices: Devices): Promise<void> {
    this.listen();
    try {
      await this.room.join(this.roomName, { metadata: { name: this.name }, create: true });
    } catch (error) {
      this.dispose();
      throw error;
    }
    this.bindButtons();
    this.renderParticipants();
    this.renderButtons();
    const type = devices.camera && devices.microphone ? 'MIC_AND_CAM' : devices.camera ? 'CAM' : devices.microphone ? 'MIC' : undefined;
    if (type) await this.publishDevices(type);
  }

  async toggleCamera(): Promise<void> {
    if (this.camera) await this.toggleMute(this.camera, 'video');
    else await this.publishDevices('CAM');
  }

  async toggleMicrophone(): Promise<void> {
    if (this.microphone) await this.toggleMute(this.microphone, 'audio');
    else await this.publishDevices('MIC');
  }

  async toggleScreen(): Promise<void> {
    const screen = this.screen;
    if (screen) {
      this.forgetLocal(screen);
      await screen.unpublish();
      return;
    }
    try {
      const local = await this.room.publish({ type: 'SCREEN' });
      this.screen = local;
      this.addLocalTile(local);
    } catch (error) {
      this.showMessage(describeError(error, this.errorContext('screen')));
    }
    this.renderButtons();
  }

  async leave(): Promise<void> {
    await this.room.leave();
    this.finish(`You left “${this.roomName}”.`, 'info');
  }

  async end(): Promise<void> {
    this.endedHere = true;
    try {
      await this.room.end(`${this.name} ended the call`);
    } catch (error) {
      this.endedHere = false;
      throw error;
    }
  }

  private async publishDevices(type: 'MIC_AND_CAM' | 'CAM' | 'MIC'): Promise<void> {
    try {
      const local = await this.room.publish({ type });
      if (type !== 'MIC') this.camera = local;
      if (type !== 'CAM') this.microphone = local;
      this.addLocalTile(local);
    } catch (error) {
      if (!this.closed) this.showMessage(describeError(error, this.errorContext('camera')));
    }
    this.renderButtons();
  }

  private async toggleMute(local: LocalStream, kind: MediaKind): Promise<void> {
    const muted = !(kind === 'audio' ? local.audioMuted : local.videoMuted);
    try {
      await local.setMuted(kind, muted);
      this.grid.get(local.streamId)?.setMuted(kind, muted);
    } catch (error) {
      this.showMessage(describeError(error, this.errorContext()));
    }
    this.renderButtons();
  }

  private addLocalTile(local: LocalStream): void {
    const tile = this.grid.add({ streamId: local.streamId, type: local.type, local: true, mediaStream: local.mediaStream, getStats: () => local.getStats() });
    tile.setName(`${this.name} (you)`);
    tile.setMuted('audio', local.audioMuted);
    tile.setMuted('video', local.videoMuted);
  }

  private forgetLocal(local: LocalStream): void {
    if (this.camera === local) this.camera = undefined;
    if (this.microphone === local) this.microphone = undefined;
    if (this.screen === local) this.screen = undefined;
    this.grid.remove(local.streamId);
    this.renderButtons();
  }

  private listen(): void {
    const room = this.room;
    this.unbind.push(
      room.on('streamAdded', (stream) => this.addRemoteTile(stream)),
      room.on('streamRemoved', (stream) => {
        this.grid.remove(stream.streamId);
        this.renderParticipants();
      }),
      room.on('streamMuteChanged', (stream, kind, muted) => this.grid.get(stream.streamId)?.setMuted(kind, muted)),
      room.on('participantJoined', () => this.renderParticipants()),
      room.on('participantLeft', () => this.renderParticipants()),
      room.on('participantStateChanged', (participant) => this.refreshParticipant(participant)),
      room.on('metadataChanged', (change) => {
        if (change.target === 'participant') this.refreshParticipant(change.participant);
      }),
      // The browser's own "Stop sharing" button, or a publisher that could not be restored.
      room.on('localStreamRemoved', (local) => this.forgetLocal(local)),
      room.on('stateChanged', (state, previous) => {
        if (state === 'reconnecting') this.showMessage('Connection to the conference server lost: reconnecting…', 'info');
        if (state === 'joined' && previous === 'reconnecting') this.showMessage(undefined);
      }),
      room.on('ended', (reason) => {
        if (this.endedHere) this.finish(`You ended “${this.roomName}” for everyone.`, 'info');
        else this.finish(`The conference “${this.roomName}” has ended${reason ? `: ${reason}` : ''}.`, 'info');
      }),
      room.on('error', (error) => {
        if (!this.closed) this.showMessage(describeError(error, this.errorContext()));
      }),
    );
  }

  private addRemoteTile(stream: RemoteStream): void {
    const tile = this.grid.add({ streamId: stream.streamId, type: stream.type, local: false, mediaStream: stream.mediaStream, getStats: () => stream.getStats() });
    const participant = this.participant(stream.userEndpointId);
    tile.setName(displayName(participant) === 'Someone' ? (stream.userId ?? 'Someone') : displayName(participant));
    tile.setMuted('audio', stream.audioMuted);
    tile.setMuted('video', stream.videoMuted);
    tile.setSick(participant?.state === 'SICK');
    this.renderParticipants();
  }

  private refreshParticipant(participant: Participant): void {
    for (const stream of participant.streams) {
      const tile = this.grid.get(stream.streamId);
      tile?.setName(displayName(participant));
      tile?.setSick(participant.state === 'SICK');
    }
    this.renderParticipants();
  }

  private participant(userEndpointId: string): Participant | undefined {
    return this.room.participants.find((participant) => participant.userEndpointId === userEndpointId);
  }

  private renderParticipants(): void {
    this.list.render(this.name, this.room.participants);
  }

  private renderButtons(): void {
    const { camera, microphone, screen } = this.elements;
    const cameraOn = this.camera !== undefined && !this.camera.videoMuted;
    const microphoneOn = this.microphone !== undefined && !this.microphone.audioMuted;
    camera.textContent = cameraOn ? 'Turn camera off' : 'Turn camera on';
    camera.setAttribute('aria-pressed', String(cameraOn));
    microphone.textContent = microphoneOn ? 'Mute microphone' : 'Unmute microphone';
    microphone.setAttribute('aria-pressed', String(microphoneOn));
    screen.textContent = this.screen ? 'Stop sharing' : 'Share screen';
    screen.setAttribute('aria-pressed', String(this.screen !== undefined));
  }

  private bindButtons(): void {
    const { signal } = this.controller;
    const on = (button: HTMLButtonElement, action: () => Promise<void>) =>
      button.addEventListener(
        'click',
        () => {
          // One action per button at a time: a double click must not publish twice.
          if (button.disabled) return;
          button.disabled = true;
          action()
            .catch((error: unknown) => this.showMessage(describeError(error, this.errorContext())))
            .finally(() => {
              button.disabled = false;
            });
        },
        { signal },
      );
    on(this.elements.camera, () => this.toggleCamera());
    on(this.elements.microphone, () => this.toggleMicrophone());
    on(this.elements.screen, () => this.toggleScreen());
    on(this.elements.leave, () => this.leave());
    on(this.elements.end, () => this.end());
  }

  private errorContext(capture?: 'camera' | 'screen') {
    return { serverUrl: this.config.serverUrl, room: this.roomName, ...(capture ? { capture } : {}) };
  }

  private finish(message: string, kind: 'error' | 'info'): void {
    if (this.closed) return;
    this.dispose();
    this.onClosed(message, kind);
  }

  private dispose(): void {
    this.closed = true;
    this.controller.abort();
    for (const unbind of this.unbind.splice(0)) unbind();
    this.grid.clear();
    this.list.clear();
  }
}
