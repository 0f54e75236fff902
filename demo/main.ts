/**
 * The Confer demo page: join a room by name (or a shared `?room=` link), publish camera and
 * microphone, share the screen, see everyone in a grid. Everything it does goes through the
 * package entry `confer`.
 */
import { CallSession, type CallElements, type ShowMessage } from './CallSession.js';
import { inviteLink, readDemoConfig } from './config.js';
import { describeError } from './describeError.js';

const byId = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`demo: #${id} is missing from index.html`);
  return node as T;
};

const config = readDemoConfig(location);
const form = byId<HTMLFormElement>('join-form');
const joinButton = byId<HTMLButtonElement>('join');
const callSection = byId<HTMLElement>('call');
const message = byId<HTMLElement>('message');
const roomLabel = byId<HTMLElement>('room-label');
const copyLink = byId<HTMLButtonElement>('copy-link');
const elements: CallElements = {
  grid: byId('grid'),
  participants: byId('participants'),
  participantCount: byId('participant-count'),
  camera: byId('toggle-camera'),
  microphone: byId('toggle-microphone'),
  screen: byId('toggle-screen'),
  leave: byId('leave'),
  end: byId('end'),
};
const nameInput = form.elements.namedItem('name') as HTMLInputElement;
const roomInput = form.elements.namedItem('room') as HTMLInputElement;
const cameraInput = form.elements.namedItem('camera') as HTMLInputElement;
const microphoneInput = form.elements.namedItem('microphone') as HTMLInputElement;

const showMessage: ShowMessage = (text, kind = 'error') => {
  message.hidden = !text;
  message.textContent = text ?? '';
  message.dataset.kind = kind;
};

nameInput.value = config.name ?? localStorage.getItem('confer-demo-name') ?? '';
roomInput.value = config.room ?? '';
(nameInput.value ? roomInput : nameInput).focus();
if (nameInput.value && roomInput.value) joinButton.focus();

let session: CallSession | undefined;

function showCall(room: string | undefined): void {
  form.hidden = room !== undefined;
  callSection.hidden = room === undefined;
  roomLabel.hidden = copyLink.hidden = room === undefined;
  roomLabel.textContent = room ? `Room: ${room}` : '';
  document.title = room ? `${room} · Confer demo` : 'Confer demo';
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (session) return;
  const name = nameInput.value.trim();
  const room = roomInput.value.trim();
  if (!name || !room) return;
  localStorage.setItem('confer-demo-name', name);
  showMessage(undefined);
  joinButton.disabled = true;
  joinButton.textContent = 'Joining…';
  const current = new CallSession(config, name, room, elements, showMessage, (text, kind) => {
    session = undefined;
    showCall(undefined);
    showMessage(text, kind);
  });
  session = current;
  // The URL becomes the invite link, so a reload rejoins the same room.
  history.replaceState(null, '', inviteLink(location, room));
  showCall(room);
  current
    .join({ camera: cameraInput.checked, microphone: microphoneInput.checked })
    .catch((error: unknown) => {
      if (session === current) session = undefined;
      showCall(undefined);
      showMessage(describeError(error, { serverUrl: config.serverUrl, room }));
    })
    .finally(() => {
      joinButton.disabled = false;
      joinButton.textContent = 'Join (creates the room when missing)';
    });
});

copyLink.addEventListener('click', () => {
  const link = inviteLink(location, roomInput.value.trim());
  navigator.clipboard
    .writeText(link)
    .then(() => showMessage(`Invite link copied: ${link}`, 'info'))
    .catch(() => showMessage(`Share this link: ${link}`, 'info'));
});
