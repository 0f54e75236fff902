import { icon, type IconName } from '../tiles/icons.js';
import { initials } from '../tiles/Tile.js';
import { capturePreview } from './devices.js';
import { DevicePickers, type DeviceChoice } from './DevicePickers.js';
import { LevelMeter } from './LevelMeter.js';

/** What the person asked for on the pre-join screen. */
export interface JoinRequest {
  name: string;
  room: string;
  /** "New meeting": create the room. "Join": it must exist already. */
  create: boolean;
  /** The preview's tracks, handed over to be published (the receiver stops them when done). */
  media: MediaStream;
  camera: boolean;
  microphone: boolean;
  devices: DeviceChoice;
}

/** The pre-join screen's elements (demo/index.html). */
export interface PreJoinElements {
  section: HTMLElement;
  form: HTMLFormElement;
  video: HTMLVideoElement;
  avatar: HTMLElement;
  note: HTMLElement;
  camera: HTMLButtonElement;
  microphone: HTMLButtonElement;
  meterSlot: HTMLElement;
  pickersSlot: HTMLElement;
  join: HTMLButtonElement;
  newMeeting: HTMLButtonElement;
  message: HTMLElement;
}

/**
 * The pre-join screen: a mirrored camera preview, a microphone level meter, camera / microphone /
 * speaker pickers and on/off toggles, so people see and hear themselves before anyone else does.
 * Nothing is published here; the preview's tracks are handed to the call on join.
 */
export class PreJoin {
  private readonly meter = new LevelMeter();
  private readonly pickers: DevicePickers;
  private readonly name: HTMLInputElement;
  private readonly room: HTMLInputElement;
  private media = new MediaStream();
  private cameraOn = true;
  private microphoneOn = true;
  /** Bumped on every capture, so a slow capture that was superseded stops its tracks instead of showing them. */
  private generation = 0;
  /** The capture in flight, so a quick Join waits for the preview instead of joining without media. */
  private capturing: Promise<void> = Promise.resolve();

  constructor(
    private readonly elements: PreJoinElements,
    private readonly onSubmit: (request: JoinRequest) => void,
  ) {
    this.name = elements.form.elements.namedItem('name') as HTMLInputElement;
    this.room = elements.form.elements.namedItem('room') as HTMLInputElement;
    this.pickers = new DevicePickers((kind, deviceId) => this.deviceChanged(kind, deviceId));
    elements.pickersSlot.replaceChildren(this.pickers.element);
    elements.meterSlot.replaceChildren(this.meter.element);
    elements.camera.addEventListener('click', () => {
      this.cameraOn = !this.cameraOn;
      this.recapture();
    });
    elements.microphone.addEventListener('click', () => {
      this.microphoneOn = !this.microphoneOn;
      for (const track of this.media.getAudioTracks()) track.enabled = this.microphoneOn;
      this.render();
    });
    this.name.addEventListener('input', () => this.render());
    elements.form.addEventListener('submit', (event) => {
      event.preventDefault();
      const create = (event.submitter as HTMLElement | null)?.id === elements.newMeeting.id;
      this.submit(create);
    });
  }

  /** Shows the screen with `name` and `room` filled in and starts the preview. */
  show(values: { name: string; room: string }): void {
    this.name.value = values.name;
    this.room.value = values.room;
    this.elements.section.hidden = false;
    this.setBusy(undefined);
    (this.name.value ? this.elements.join : this.name).focus();
    this.recapture();
  }

  /** Hides the screen; `keepMedia` when its tracks were handed to the call. */
  hide(keepMedia: boolean): void {
    this.elements.section.hidden = true;
    this.generation++;
    this.meter.stop();
    this.elements.video.srcObject = null;
    if (!keepMedia) for (const track of this.media.getTracks()) track.stop();
    this.media = new MediaStream();
  }

  /** Shows `text` under the form (undefined clears it). */
  showMessage(text: string | undefined, kind: 'error' | 'info' = 'error'): void {
    this.elements.message.hidden = !text;
    this.elements.message.textContent = text ?? '';
    this.elements.message.dataset.kind = kind;
  }

  /** Disables the buttons while joining (`which` says which one reads "Joining…"). */
  setBusy(which: 'join' | 'create' | undefined): void {
    const { join, newMeeting } = this.elements;
    join.disabled = newMeeting.disabled = which !== undefined;
    join.textContent = which === 'join' ? 'Joining…' : 'Join';
    newMeeting.textContent = which === 'create' ? 'Creating…' : 'New meeting';
  }

  private submit(create: boolean): void {
    const name = this.name.value.trim();
    if (!name) {
      this.name.reportValidity();
      return;
    }
    let room = this.room.value.trim();
    if (!create && !room) {
      this.room.setCustomValidity('Enter the room of the meeting to join, or start a new meeting.');
      this.room.reportValidity();
      this.room.setCustomValidity('');
      return;
    }
    if (!this.room.checkValidity()) {
      this.room.reportValidity();
      return;
    }
    room ||= newRoomName();
    this.setBusy(create ? 'create' : 'join');
    void this.capturing.then(() =>
      this.onSubmit({ name, room, create, media: this.media, camera: this.cameraOn && this.media.getVideoTracks().length > 0, microphone: this.microphoneOn, devices: this.pickers.choice }),
    );
  }

  private deviceChanged(kind: 'camera' | 'microphone' | 'speaker', _deviceId: string): void {
    // The speaker only matters once there is someone to hear; camera and microphone are captured again.
    if (kind !== 'speaker') this.recapture();
  }

  private recapture(): void {
    this.capturing = this.capture();
  }

  /** (Re)captures the preview for the current toggles and pickers; denials are shown, not thrown. */
  private async capture(): Promise<void> {
    const generation = ++this.generation;
    for (const track of this.media.getTracks()) track.stop();
    this.media = new MediaStream();
    this.render();
    const { cameraId, microphoneId } = this.pickers.choice;
    const captured = await capturePreview({ camera: this.cameraOn, microphone: true, ...(cameraId ? { cameraId } : {}), ...(microphoneId ? { microphoneId } : {}) });
    if (generation !== this.generation) {
      for (const track of captured.stream.getTracks()) track.stop();
      return;
    }
    this.media = captured.stream;
    for (const track of this.media.getAudioTracks()) track.enabled = this.microphoneOn;
    // A <video> given a stream without video never reaches HAVE_CURRENT_DATA, and until then it holds
    // back the document's load event (HTML: "delaying the load event"): give it only a real camera.
    this.elements.video.srcObject = this.media.getVideoTracks().length > 0 ? this.media : null;
    this.meter.follow(this.media.getAudioTracks()[0]);
    const blocked = [captured.cameraError ? 'camera' : '', captured.microphoneError ? 'microphone' : ''].filter(Boolean);
    this.elements.note.hidden = blocked.length === 0;
    this.elements.note.textContent = blocked.length
      ? `No access to your ${blocked.join(' or ')}. You can still join; allow it in the browser’s site settings to be seen or heard.`
      : '';
    // Labels appear once capture was allowed, so list again now.
    await this.pickers.refresh();
    this.render();
  }

  private render(): void {
    const { camera, microphone, avatar, video } = this.elements;
    const hasVideo = this.cameraOn && this.media.getVideoTracks().length > 0;
    video.hidden = !hasVideo;
    avatar.hidden = hasVideo;
    avatar.textContent = initials(this.name.value || '?');
    setToggle(camera, this.cameraOn, 'camera', 'cameraOff', 'Turn camera off', 'Turn camera on');
    setToggle(microphone, this.microphoneOn, 'mic', 'micOff', 'Mute microphone', 'Unmute microphone');
  }
}

/** Sets an on/off toggle's icon, pressed state and accessible name. */
export function setToggle(button: HTMLButtonElement, on: boolean, onIcon: IconName, offIcon: IconName, onLabel: string, offLabel: string): void {
  button.setAttribute('aria-pressed', String(on));
  button.setAttribute('aria-label', onLabel === offLabel ? onLabel : on ? onLabel : offLabel);
  button.title = button.getAttribute('aria-label') ?? '';
  const label = document.createElement('span');
  label.className = 'label';
  label.textContent = on ? onLabel : offLabel;
  button.replaceChildren(icon(on ? onIcon : offIcon), label);
}

/** A room name for "New meeting": three short random words' worth of letters, easy to read aloud. */
export function newRoomName(random: () => number = Math.random): string {
  const letters = 'abcdefghijkmnpqrstuvwxyz';
  const part = (n: number) => Array.from({ length: n }, () => letters[Math.floor(random() * letters.length)]).join('');
  return `${part(3)}-${part(4)}-${part(3)}`;
}
