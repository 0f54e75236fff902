/**
 * The Confer demo page: a pre-join screen (preview, devices, name), then a call that always fits
 * the window: a grid, or a stage for a screen share or a pinned person. "New meeting" creates a
 * room; an invite link (`?room=`) joins an existing one. Everything goes through the package entry `confer`.
 */
import { CallSession, isExistingRoom, isMissingRoom, type CallElements, type ControlsState } from './call/CallSession.js';
import { SettingsMenu } from './call/SettingsMenu.js';
import { inviteLink, readDemoConfig } from './config.js';
import { describeError } from './describeError.js';
import type { DeviceChoice } from './prejoin/DevicePickers.js';
import { PreJoin, setToggle, type JoinRequest } from './prejoin/PreJoin.js';
import { icon } from './tiles/icons.js';
import { bindShortcuts, SHORTCUTS } from './ui/shortcuts.js';
import { Toasts } from './ui/Toasts.js';

const byId = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`demo: #${id} is missing from index.html`);
  return node as T;
};

const config = readDemoConfig(location);
const toasts = new Toasts(byId('toasts'));
const callSection = byId<HTMLElement>('call');
const roomLabel = byId<HTMLElement>('room-label');
const copyLink = byId<HTMLButtonElement>('copy-link');
const buttons = {
  camera: byId<HTMLButtonElement>('toggle-camera'),
  microphone: byId<HTMLButtonElement>('toggle-microphone'),
  screen: byId<HTMLButtonElement>('toggle-screen'),
  people: byId<HTMLButtonElement>('toggle-people'),
  settings: byId<HTMLButtonElement>('open-settings'),
  leave: byId<HTMLButtonElement>('leave'),
  end: byId<HTMLButtonElement>('end'),
  stopSharing: byId<HTMLButtonElement>('stop-sharing'),
};
const people = byId<HTMLElement>('people');
const callElements: CallElements = {
  tiles: byId('tiles'),
  participants: byId('participants'),
  participantCount: document.createElement('span'),
  sharingBar: byId('sharing-bar'),
};
callElements.participantCount.id = 'participant-count';
buttons.people.append(icon('people'), callElements.participantCount);
buttons.settings.append(icon('settings'));
buttons.leave.prepend(icon('leave'));

const prejoin = new PreJoin(
  {
    section: byId('prejoin'),
    form: byId('join-form'),
    video: byId('preview-video'),
    avatar: byId('preview-avatar'),
    note: byId('preview-note'),
    camera: byId('prejoin-camera'),
    microphone: byId('prejoin-microphone'),
    meterSlot: byId('meter-slot'),
    pickersSlot: byId('pickers-slot'),
    join: byId('join'),
    newMeeting: byId('new-meeting'),
    message: byId('message'),
  },
  (request) => void startCall(request),
);

let session: CallSession | undefined;
let devices: DeviceChoice = {};
const settings = new SettingsMenu(byId('settings'), byId('settings-pickers'), (kind, deviceId) => {
  devices = { ...devices, [kind === 'camera' ? 'cameraId' : kind === 'microphone' ? 'microphoneId' : 'speakerId']: deviceId };
  session?.switchDevice(kind, deviceId).catch((error: unknown) => toasts.show(describeError(error, { serverUrl: config.serverUrl, capture: 'camera' }), 'error'));
});

byId('prejoin-title').textContent = config.room ? `Join “${config.room}”` : 'Start or join a meeting';
prejoin.show({ name: config.name ?? localStorage.getItem('confer-demo-name') ?? '', room: config.room ?? '' });
renderControls({ camera: false, microphone: false, screen: false });

/** Joins (or creates) the room the pre-join screen asked for; on failure the pre-join screen stays, with its preview. */
async function startCall(request: JoinRequest): Promise<void> {
  if (session) return;
  localStorage.setItem('confer-demo-name', request.name);
  prejoin.showMessage(undefined);
  prejoin.setBusy(request.create ? 'create' : 'join');
  devices = request.devices;
  const current = new CallSession(config, request, callElements, (text, kind, action) => toasts.show(text, kind, action), renderControls, (text, kind) => {
    session = undefined;
    showCall(undefined);
    prejoin.show({ name: request.name, room: request.room });
    prejoin.showMessage(text, kind);
  });
  session = current;
  try {
    await current.join();
  } catch (error) {
    if (session === current) session = undefined;
    prejoin.setBusy(undefined);
    prejoin.showMessage(joinFailure(error, request));
    return;
  }
  prejoin.hide(true);
  // The URL becomes the invite link, so a reload comes back to the same room.
  history.replaceState(null, '', inviteLink(location, request.room));
  showCall(request.room);
}

/** A failed join in words: a missing room is said plainly, never silently created. */
function joinFailure(error: unknown, request: JoinRequest): string {
  if (!request.create && isMissingRoom(error)) return `The meeting “${request.room}” has ended or does not exist. Check the link, or start a new meeting.`;
  if (request.create && isExistingRoom(error)) return `A meeting named “${request.room}” already exists. Press Join to join it, or clear the room for a new one.`;
  return describeError(error, { serverUrl: config.serverUrl, room: request.room });
}

let unbindShortcuts: (() => void) | undefined;

function showCall(room: string | undefined): void {
  callSection.hidden = room === undefined;
  roomLabel.hidden = copyLink.hidden = room === undefined;
  roomLabel.textContent = room ?? '';
  document.title = room ? `${room} · Confer` : 'Confer demo';
  people.hidden = true;
  buttons.people.setAttribute('aria-pressed', 'false');
  settings.close();
  unbindShortcuts?.();
  unbindShortcuts = room ? bindShortcuts({ microphone: () => buttons.microphone.click(), camera: () => buttons.camera.click() }) : undefined;
}

function renderControls(state: ControlsState): void {
  setToggle(buttons.microphone, state.microphone, 'mic', 'micOff', 'Mute microphone', 'Unmute microphone');
  setToggle(buttons.camera, state.camera, 'camera', 'cameraOff', 'Turn camera off', 'Turn camera on');
  setToggle(buttons.screen, state.screen, 'screen', 'screen', state.screen ? 'Stop sharing' : 'Share screen', state.screen ? 'Stop sharing' : 'Share screen');
  buttons.microphone.title += ` (${SHORTCUTS.microphone.toUpperCase()})`;
  buttons.camera.title += ` (${SHORTCUTS.camera.toUpperCase()})`;
}

/** One action per button at a time: a double click must not publish twice. */
function onClick(button: HTMLButtonElement, action: (call: CallSession) => Promise<void>): void {
  button.addEventListener('click', () => {
    const call = session;
    if (!call || button.disabled) return;
    button.disabled = true;
    action(call)
      .catch((error: unknown) => toasts.show(describeError(error, { serverUrl: config.serverUrl, room: call.roomName }), 'error'))
      .finally(() => {
        button.disabled = false;
      });
  });
}
onClick(buttons.camera, (call) => call.toggleCamera());
onClick(buttons.microphone, (call) => call.toggleMicrophone());
onClick(buttons.screen, (call) => call.toggleScreen());
onClick(buttons.stopSharing, (call) => call.toggleScreen());
onClick(buttons.leave, (call) => call.leave());
onClick(buttons.end, (call) => call.end());
buttons.people.addEventListener('click', () => {
  people.hidden = !people.hidden;
  buttons.people.setAttribute('aria-pressed', String(!people.hidden));
});
buttons.settings.addEventListener('click', () => settings.open(devices));

copyLink.addEventListener('click', () => {
  const link = inviteLink(location, session?.roomName ?? config.room ?? '');
  navigator.clipboard
    .writeText(link)
    .then(() => toasts.show('Invite link copied', 'info'))
    .catch(() => toasts.show(`Share this link: ${link}`, 'info'));
});
