import { ApiClient, ConferenceError, LocalStream, Room } from 'confer';
import type { MediaKind, Participant, RemoteStream } from 'confer';
import type { DemoConfig } from '../config.js';
import { userIdFor } from '../config.js';
import { describeError } from '../describeError.js';
import { CallLayout } from '../layout/CallLayout.js';
import { routeAudio } from '../prejoin/devices.js';
import type { DeviceChoice } from '../prejoin/DevicePickers.js';
import type { JoinRequest } from '../prejoin/PreJoin.js';
import { formatStats, qualityBars } from '../tiles/statsDisplay.js';
import { Tile } from '../tiles/Tile.js';
import { displayName, ParticipantList } from './ParticipantList.js';

/** The page elements a call drives. */
export interface CallElements {
  tiles: HTMLElement;
  participants: HTMLElement;
  participantCount: HTMLElement;
  sharingBar: HTMLElement;
}

/** How the call tells the page something (a toast), optionally with a button that does something. */
export type Notify = (text: string, kind?: 'error' | 'info', action?: { label: string; run: () => void }) => void;

/** What the controls show: each device on or off, and whether we share the screen. */
export interface ControlsState {
  camera: boolean;
  microphone: boolean;
  screen: boolean;
}

/** The key of our own person tile. */
const SELF = 'self';
const screenKey = (streamId: string) => `screen:${streamId}`;

/**
 * One call: a Room, a tile per person (their camera and microphone merged, or an avatar) and per
 * screen share, the participant list, and our own media. A Room cannot be joined twice, so each
 * join makes a new session; `onClosed` tells the page the call is over, with the sentence to show.
 */
export class CallSession {
  private readonly room: Room;
  private readonly layout: CallLayout;
  private readonly list: ParticipantList;
  private readonly unbind: Array<() => void> = [];
  /** Tracks we captured ourselves (the preview): the library leaves them to us to stop. */
  private readonly ownTracks = new Set<MediaStreamTrack>();
  private readonly locals = new Set<LocalStream>();
  private screen: LocalStream | undefined;
  private devices: DeviceChoice;
  private closed = false;
  private endedHere = false;

  private readonly auth: { clientId: string; clientSecret: string; userId: string };

  constructor(
    private readonly config: DemoConfig,
    private readonly request: JoinRequest,
    private readonly elements: CallElements,
    private readonly notify: Notify,
    private readonly onChange: (controls: ControlsState) => void,
    private readonly onClosed: (message: string, kind: 'error' | 'info') => void,
  ) {
    this.devices = request.devices;
    this.auth = { clientId: config.clientId, clientSecret: config.clientSecret, userId: userIdFor(request.name) };
    this.room = new Room({ baseUrl: config.serverUrl, auth: this.auth });
    this.layout = new CallLayout(elements.tiles);
    this.list = new ParticipantList(elements.participants, elements.participantCount);
  }

  get roomName(): string {
    return this.request.room;
  }

  /**
   * Joins (creating the room only for "New meeting": an invite link must not bring an ended
   * meeting back), shows our tile at once, then publishes the preview's tracks; throws when the join fails.
   */
  async join(): Promise<void> {
    this.listen();
    try {
      // "New meeting" creates the room first, so a name that is taken fails here (409) instead of
      // quietly joining someone else's meeting, and the join then finds the room (the library's
      // `create: true` alone joins first and logs that join's 404 for every new room).
      // `create: true` on the join still re-creates the room if a restarted server forgot it.
      if (this.request.create) await new ApiClient({ baseUrl: this.config.serverUrl, auth: this.auth }).create({ conferenceId: this.request.room });
      await this.room.join(this.request.room, { name: this.request.name, create: this.request.create });
    } catch (error) {
      this.dispose();
      throw error;
    }
    // From here the preview's tracks are the call's to stop; before, a failed join leaves them to the preview.
    for (const track of this.request.media.getTracks()) this.ownTracks.add(track);
    this.layout.add(new Tile(SELF, 'person', true, this.layout)).update({ name: this.request.name, micMuted: true, cameraOff: true });
    this.render();
    await this.publishPreview();
  }

  async toggleCamera(): Promise<void> {
    const stream = this.localWith('video');
    if (stream) await this.setMuted(stream, 'video', !stream.videoMuted);
    else await this.publish('CAM');
  }

  async toggleMicrophone(): Promise<void> {
    const stream = this.localWith('audio');
    if (stream) await this.setMuted(stream, 'audio', !stream.audioMuted);
    else await this.publish('MIC');
  }

  async toggleScreen(): Promise<void> {
    const screen = this.screen;
    if (screen) {
      this.forgetLocal(screen);
      await screen.unpublish();
      return;
    }
    try {
      this.screen = await this.room.publish({ type: 'SCREEN' });
    } catch (error) {
      this.notify(describeError(error, this.errorContext('screen')));
    }
    this.render();
  }

  /** Switches the camera or microphone mid-call (settings menu), or routes every remote sound to another speaker. */
  async switchDevice(kind: 'camera' | 'microphone' | 'speaker', deviceId: string): Promise<void> {
    if (kind === 'speaker') {
      this.devices = { ...this.devices, speakerId: deviceId };
      await Promise.all(this.layout.all().flatMap((tile) => tile.mediaElements().map((element) => routeAudio(element, deviceId))));
      return;
    }
    const mediaKind: MediaKind = kind === 'camera' ? 'video' : 'audio';
    this.devices = { ...this.devices, [kind === 'camera' ? 'cameraId' : 'microphoneId']: deviceId };
    const stream = this.localWith(mediaKind);
    if (!stream) return;
    const old = stream.mediaStream.getTracks().find((track) => track.kind === mediaKind);
    await stream.switchDevice(mediaKind, deviceId);
    // The library stops what it captured; a preview track was ours.
    if (old && this.ownTracks.delete(old)) old.stop();
  }

  async leave(): Promise<void> {
    await this.room.leave();
    this.finish(`You left “${this.request.room}”.`, 'info');
  }

  async end(): Promise<void> {
    this.endedHere = true;
    try {
      await this.room.end(`${this.request.name} ended the call`);
    } catch (error) {
      this.endedHere = false;
      throw error;
    }
  }

  /** Ends the session without a word (the page is going away). */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unbind of this.unbind.splice(0)) unbind();
    this.layout.close();
    this.list.clear();
    for (const track of this.ownTracks) track.stop();
    this.ownTracks.clear();
    this.elements.sharingBar.hidden = true;
  }

  /**
   * Publishes the pre-join preview as it is (a `createLocalStream` stream: no second permission
   * prompt, and the library stops its tracks when it is unpublished), muted as chosen there.
   */
  private async publishPreview(): Promise<void> {
    const { media, microphone } = this.request;
    const audio = media.getAudioTracks()[0];
    const video = media.getVideoTracks()[0];
    const type = audio && video ? 'MIC_AND_CAM' : video ? 'CAM' : audio ? 'MIC' : undefined;
    if (!type) return;
    // Disabled before it is sent, so not a syllable leaves before the mute is announced.
    if (audio) audio.enabled = microphone;
    const local = await this.publish(type, media);
    if (local && audio && !microphone) await this.setMuted(local, 'audio', true);
  }

  private async publish(type: 'MIC_AND_CAM' | 'CAM' | 'MIC', mediaStream?: MediaStream): Promise<LocalStream | undefined> {
    const capture = type === 'MIC' ? {} : this.devices.cameraId ? { video: { deviceId: { exact: this.devices.cameraId } } } : {};
    const audio = type === 'CAM' ? {} : this.devices.microphoneId ? { audio: { deviceId: { exact: this.devices.microphoneId } } } : {};
    try {
      const local = await this.room.publish({ type, ...(mediaStream ? { mediaStream } : { ...capture, ...audio }) });
      this.locals.add(local);
      this.layout.get(SELF)?.addMedia({ streamId: local.streamId, type: local.type, mediaStream: local.mediaStream, remote: false });
      this.render();
      return local;
    } catch (error) {
      if (!this.closed) this.notify(describeError(error, this.errorContext('camera')));
      this.render();
      return undefined;
    }
  }

  private async setMuted(local: LocalStream, kind: MediaKind, muted: boolean): Promise<void> {
    try {
      await local.setMuted(kind, muted);
    } catch (error) {
      this.notify(describeError(error, this.errorContext()));
    }
    this.render();
  }

  /** The camera-or-microphone stream of ours that carries `kind`. */
  private localWith(kind: MediaKind): LocalStream | undefined {
    return [...this.locals].find((local) => local.mediaStream.getTracks().some((track) => track.kind === kind));
  }

  private forgetLocal(local: LocalStream): void {
    if (this.screen === local) this.screen = undefined;
    if (this.locals.delete(local)) this.layout.get(SELF)?.removeMedia(local.streamId);
    this.render();
  }

  private listen(): void {
    const room = this.room;
    this.unbind.push(
      room.on('participantJoined', (participant) => this.personTile(participant)),
      room.on('participantLeft', (participant) => {
        this.layout.remove(participant.userEndpointId);
        this.renderList();
      }),
      room.on('streamAdded', (stream) => this.addRemote(stream)),
      room.on('streamRemoved', (stream) => {
        if (stream.type === 'SCREEN') this.layout.remove(screenKey(stream.streamId));
        else this.layout.get(stream.userEndpointId)?.removeMedia(stream.streamId);
        this.refreshPerson(stream.userEndpointId);
      }),
      room.on('streamMuteChanged', (stream) => this.refreshPerson(stream.userEndpointId)),
      room.on('participantStateChanged', (participant) => this.refreshPerson(participant.userEndpointId)),
      room.on('metadataChanged', (change) => {
        if (change.target === 'participant') this.refreshPerson(change.participant.userEndpointId);
      }),
      // The browser's own "Stop sharing" button, or a publisher that could not be restored.
      room.on('localStreamRemoved', (local) => this.forgetLocal(local)),
      room.on('stateChanged', (state, previous) => {
        if (state === 'reconnecting') this.notify('Connection to the conference server lost: reconnecting…', 'info');
        if (state === 'joined' && previous === 'reconnecting') this.notify('Reconnected.', 'info');
      }),
      room.on('ended', (reason, cause) => {
        if (this.endedHere) this.finish(`You ended “${this.request.room}” for everyone.`, 'info');
        else if (cause === 'not-found') this.finish(`The meeting “${this.request.room}” no longer exists.`, 'info');
        else this.finish(`The meeting “${this.request.room}” has ended${reason ? `: ${reason}` : ''}.`, 'info');
      }),
      // Speakers, quality and stats come from the library's one sampler, which runs while these are bound.
      room.on('activeSpeakersChanged', (speakers) => this.layout.setActiveSpeaker(speakers[0]?.userEndpointId)),
      room.on('connectionQualityChanged', (participant) => this.refreshPerson(participant.userEndpointId)),
      room.on('localConnectionQualityChanged', (quality) => this.layout.get(SELF)?.update({ quality: qualityBars(quality) })),
      room.on('statsUpdated', (stream, stats) => {
        const tile = this.tileOf(stream);
        // A person's tile may carry a camera and a separate microphone stream: the camera's figures speak for it.
        if (tile?.statsOpen && (stream.type !== 'MIC' || tile.streamIds.length === 1)) tile.showStats(formatStats(stats));
      }),
      // Hold and recording as the cloud service's native clients set them (ON_HOLD… / RECORDER… metadata).
      room.on('onHoldChanged', (onHold) => this.notify(onHold ? 'The call is on hold.' : 'The call is no longer on hold.', 'info')),
      room.on('recordingChanged', (recording) => this.notify(recording ? 'This call is being recorded.' : 'Recording stopped.', 'info')),
      room.on('speakingWhileMutedChanged', (_local, speaking) => speaking && this.notify('You are muted: unmute to be heard.', 'info')),
      room.on('audioPlaybackBlocked', () =>
        this.notify('The browser blocked the call’s sound until you click.', 'info', { label: 'Turn on sound', run: () => void this.room.startAudio() }),
      ),
      room.on('error', (error) => {
        if (!this.closed) this.notify(describeError(error, this.errorContext()));
      }),
    );
  }

  /** The tile of `participant`, made on first sight: everyone in the room has one, with or without media. */
  private personTile(participant: Participant): Tile {
    const tile = this.layout.get(participant.userEndpointId) ?? this.layout.add(new Tile(participant.userEndpointId, 'person', false, this.layout));
    this.refreshPerson(participant.userEndpointId);
    return tile;
  }

  private addRemote(stream: RemoteStream): void {
    const participant = this.participant(stream.userEndpointId);
    const tile =
      stream.type === 'SCREEN'
        ? this.layout.add(new Tile(screenKey(stream.streamId), 'screen', false, this.layout))
        : participant
          ? this.personTile(participant)
          : this.layout.add(new Tile(stream.userEndpointId, 'person', false, this.layout));
    tile.addMedia({
      streamId: stream.streamId,
      type: stream.type,
      mediaStream: stream.mediaStream,
      remote: true,
      // The library plays it (autoplay, playsInline, play()) and reports a blocked autoplay as audioPlaybackBlocked.
      attach: (element) => stream.attach(element),
      detach: (element) => stream.detach(element),
    });
    for (const element of tile.mediaElements()) void routeAudio(element, this.devices.speakerId);
    this.refreshPerson(stream.userEndpointId);
  }

  /** Re-derives a person's tile (and their screen tiles) from the room: name, mutes, SICK. */
  private refreshPerson(userEndpointId: string): void {
    const participant = this.participant(userEndpointId);
    if (participant) {
      const name = displayName(participant);
      const sick = participant.state === 'SICK';
      const media = participant.streams.filter((stream) => stream.type !== 'SCREEN');
      this.layout.get(userEndpointId)?.update({
        name,
        sick,
        micMuted: !media.some((stream) => stream.type !== 'CAM' && !stream.audioMuted),
        cameraOff: !media.some((stream) => stream.type !== 'MIC' && !stream.videoMuted),
        // SICK is the server's verdict that media is not getting through: no bars, whatever the last sample said.
        quality: sick ? 0 : qualityBars(participant.connectionQuality),
      });
      for (const stream of participant.streams) if (stream.type === 'SCREEN') this.layout.get(screenKey(stream.streamId))?.update({ name, sick });
    }
    this.renderList();
  }

  /** The tile that shows `stream`: ours, someone's screen, or someone's person tile. */
  private tileOf(stream: LocalStream | RemoteStream): Tile | undefined {
    if (stream instanceof LocalStream) return stream === this.screen ? undefined : this.layout.get(SELF);
    return this.layout.get(stream.type === 'SCREEN' ? screenKey(stream.streamId) : stream.userEndpointId);
  }

  private participant(userEndpointId: string): Participant | undefined {
    return this.room.participants.find((participant) => participant.userEndpointId === userEndpointId);
  }

  private renderList(): void {
    if (!this.closed) this.list.render(this.request.name, this.room.participants);
  }

  /** Our tile, the "you are sharing" bar and the controls follow our streams. */
  private render(): void {
    if (this.closed) return;
    const video = this.localWith('video');
    const audio = this.localWith('audio');
    const controls = { camera: video !== undefined && !video.videoMuted, microphone: audio !== undefined && !audio.audioMuted, screen: this.screen !== undefined };
    this.layout.get(SELF)?.update({ micMuted: !controls.microphone, cameraOff: !controls.camera });
    // Our own screen is not shown back to us as a tile: a hall of mirrors helps nobody.
    this.elements.sharingBar.hidden = !controls.screen;
    this.renderList();
    this.onChange(controls);
  }

  private errorContext(capture?: 'camera' | 'screen') {
    return { serverUrl: this.config.serverUrl, room: this.request.room, ...(capture ? { capture } : {}) };
  }

  private finish(message: string, kind: 'error' | 'info'): void {
    if (this.closed) return;
    this.dispose();
    this.onClosed(message, kind);
  }
}

/** Whether `error` says the room is not there (never created, or ended and forgotten). */
export function isMissingRoom(error: unknown): boolean {
  return error instanceof ConferenceError && error.code === 'api' && error.status === 404 && error.operation !== 'issueToken';
}

/** Whether `error` says the room exists already (a "New meeting" with a taken name). */
export function isExistingRoom(error: unknown): boolean {
  return error instanceof ConferenceError && error.code === 'api' && error.status === 409;
}
