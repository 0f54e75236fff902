import type { Rect } from '../layout/tileLayout.js';
import { icon } from './icons.js';

/** A person (their camera and microphone, or just an avatar) or one screen share. */
export type TileKind = 'person' | 'screen';

/** One stream a tile plays. */
export interface TileMedia {
  streamId: string;
  /** The stream's publish type, kept as a data attribute for tests, never shown. */
  type: string;
  mediaStream: MediaStream;
  /** A remote stream: its element plays the audio; ours is always silent. */
  remote: boolean;
  /** Plays the stream in the element (RemoteStream.attach); without it the tile sets srcObject itself. */
  attach?(element: HTMLMediaElement): Promise<void>;
  detach?(element: HTMLMediaElement): void;
}

/** What a tile shows besides media; every field optional in an update. */
export interface TileState {
  name: string;
  micMuted: boolean;
  cameraOff: boolean;
  /** The server says this participant's media connections are failing. */
  sick: boolean;
  /** Signal bars, 0 (lost) to 3; undefined while unknown. */
  quality: number | undefined;
}

/** Called when the tile's pin or stats buttons are pressed. */
export interface TileActions {
  togglePin(key: string): void;
}

const QUALITY_LABELS = ['Connection lost', 'Poor connection', 'Fair connection', 'Good connection'];

/**
 * One tile: a person, or a screen share. A person may publish several streams (camera and
 * microphone together, or separately), so a tile holds one media element per stream: the first with
 * video shows, the others only play their audio. Every element is a `<video data-remote>` even for
 * audio only, which is what the e2e media checks read. The tile is absolutely positioned by the
 * layout (`place`), so moving it between the stage and the strip never re-parents a playing element.
 */
export class Tile {
  readonly element: HTMLElement;
  private readonly media = new Map<string, { info: TileMedia; video: HTMLVideoElement }>();
  private readonly frame: HTMLElement;
  private readonly avatar: HTMLElement;
  private readonly nameLabel: HTMLElement;
  private readonly micBadge: HTMLElement;
  private readonly cameraBadge: HTMLElement;
  private readonly sickBadge: HTMLElement;
  private readonly qualityBadge: HTMLElement;
  private readonly pinButton: HTMLButtonElement;
  private readonly statsButton: HTMLButtonElement;
  private readonly statsList: HTMLElement;
  private readonly controller = new AbortController();
  private state: TileState = { name: '', micMuted: false, cameraOff: false, sick: false, quality: undefined };

  constructor(
    readonly key: string,
    readonly kind: TileKind,
    readonly local: boolean,
    actions: TileActions,
  ) {
    this.element = document.createElement('figure');
    this.element.className = 'tile';
    this.element.dataset.key = key;
    this.element.dataset.kind = kind;
    this.element.dataset.local = String(local);

    this.frame = element('div', 'media');
    this.avatar = element('div', 'avatar');
    this.avatar.setAttribute('aria-hidden', 'true');

    this.nameLabel = element('span', 'name');
    this.micBadge = badge('audio-muted', 'Microphone muted', 'micOff');
    this.cameraBadge = badge('video-muted', 'Camera off', 'cameraOff');
    this.sickBadge = element('span', 'badge sick', 'connection problems');
    this.sickBadge.dataset.badge = 'sick';
    this.sickBadge.title = 'This participant’s media connections are failing';
    this.qualityBadge = element('span', 'quality');
    this.qualityBadge.dataset.badge = 'quality';
    this.qualityBadge.append(element('i', ''), element('i', ''), element('i', ''));
    for (const node of [this.micBadge, this.cameraBadge, this.sickBadge, this.qualityBadge]) node.hidden = true;

    const caption = document.createElement('figcaption');
    caption.append(this.qualityBadge, this.nameLabel, this.micBadge, this.cameraBadge, this.sickBadge);

    this.pinButton = button('pin', 'Pin');
    this.pinButton.setAttribute('aria-pressed', 'false');
    this.pinButton.addEventListener('click', () => actions.togglePin(key), { signal: this.controller.signal });
    this.statsButton = button('stats', 'Statistics');
    this.statsButton.setAttribute('aria-pressed', 'false');
    this.statsButton.addEventListener('click', () => this.setStatsOpen(!this.statsOpen), { signal: this.controller.signal });
    const actionsBar = element('div', 'tile-actions');
    actionsBar.append(this.statsButton, this.pinButton);

    this.statsList = element('dl', 'stats');
    this.statsList.setAttribute('aria-label', 'connection statistics');
    this.statsList.hidden = true;
    this.element.append(this.frame, this.avatar, caption, actionsBar, this.statsList);
    this.refreshVideo();
  }

  /** Whether the stats panel is open (stats are only worth formatting then). */
  get statsOpen(): boolean {
    return !this.statsList.hidden;
  }

  /** The streams this tile plays, by id. */
  get streamIds(): string[] {
    return [...this.media.keys()];
  }

  addMedia(info: TileMedia): void {
    if (this.media.has(info.streamId)) return;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    // Our own microphone must never play back.
    video.muted = !info.remote;
    video.dataset.streamId = info.streamId;
    video.dataset.type = info.type;
    if (info.remote) video.dataset.remote = 'true';
    if (info.attach) void info.attach(video);
    else video.srcObject = info.mediaStream;
    // Tracks come and go in place (a view re-established, a camera switched): re-pick what shows.
    const refresh = () => this.refreshVideo();
    info.mediaStream.addEventListener('addtrack', refresh, { signal: this.controller.signal });
    info.mediaStream.addEventListener('removetrack', refresh, { signal: this.controller.signal });
    this.media.set(info.streamId, { info, video });
    this.frame.append(video);
    this.refreshVideo();
  }

  removeMedia(streamId: string): void {
    const entry = this.media.get(streamId);
    if (!entry) return;
    this.media.delete(streamId);
    detach(entry);
    entry.video.remove();
    this.refreshVideo();
  }

  /** The media elements, e.g. to route their audio to another speaker. */
  mediaElements(): HTMLVideoElement[] {
    return [...this.media.values()].map((entry) => entry.video);
  }

  update(change: Partial<TileState>): void {
    this.state = { ...this.state, ...change };
    const { name, micMuted, cameraOff, sick, quality } = this.state;
    const who = this.local ? `${name} (you)` : name;
    this.nameLabel.textContent = this.kind === 'screen' ? `${name}’s screen` : who;
    this.nameLabel.title = this.nameLabel.textContent;
    this.avatar.textContent = initials(name);
    this.avatar.style.setProperty('--hue', String(hue(name)));
    this.pinButton.setAttribute('aria-label', `Pin ${this.nameLabel.textContent}`);
    this.statsButton.setAttribute('aria-label', `Statistics for ${this.nameLabel.textContent}`);
    // A screen share has no microphone or camera of its own to report.
    this.micBadge.hidden = this.kind === 'screen' || !micMuted;
    this.cameraBadge.hidden = this.kind === 'screen' || !cameraOff;
    this.sickBadge.hidden = !sick;
    this.element.dataset.audioMuted = String(micMuted);
    this.element.dataset.videoMuted = String(cameraOff);
    this.element.dataset.sick = String(sick);
    this.qualityBadge.hidden = quality === undefined || this.kind === 'screen';
    if (quality !== undefined) {
      this.qualityBadge.dataset.level = String(quality);
      this.qualityBadge.title = QUALITY_LABELS[quality] ?? '';
      this.qualityBadge.setAttribute('aria-label', this.qualityBadge.title);
    }
    this.refreshVideo();
  }

  setSpeaking(speaking: boolean): void {
    this.element.dataset.speaking = String(speaking);
  }

  setPinned(pinned: boolean): void {
    this.element.dataset.pinned = String(pinned);
    this.pinButton.setAttribute('aria-pressed', String(pinned));
  }

  setStatsOpen(open: boolean): void {
    this.statsList.hidden = !open;
    this.statsButton.setAttribute('aria-pressed', String(open));
  }

  /** Fills the stats panel with `[label, value]` rows. */
  showStats(rows: ReadonlyArray<readonly [string, string]>): void {
    this.statsList.replaceChildren(
      ...rows.flatMap(([label, value]) => {
        const dd = element('dd', '', value);
        dd.dataset.stat = label;
        return [element('dt', '', label), dd];
      }),
    );
  }

  /** Puts the tile at `rect` of the tile area; `role` styles the stage tile apart from the strip's. */
  place(rect: Rect, role: 'grid' | 'stage' | 'strip'): void {
    const style = this.element.style;
    style.transform = `translate(${rect.x}px, ${rect.y}px)`;
    style.width = `${rect.width}px`;
    style.height = `${rect.height}px`;
    this.element.dataset.role = role;
  }

  /** Detaches every stream; the caller forgets the tile. */
  close(): void {
    this.controller.abort();
    for (const entry of this.media.values()) detach(entry);
    this.media.clear();
    this.element.remove();
  }

  /** Shows the first stream that has video (unless the camera is off); the rest only play sound. */
  private refreshVideo(): void {
    let shown: HTMLVideoElement | undefined;
    for (const { info, video } of this.media.values()) {
      const hasVideo = info.mediaStream.getVideoTracks().length > 0;
      const show = !shown && hasVideo && !(this.kind === 'person' && this.state.cameraOff);
      if (show) shown = video;
      video.classList.toggle('shown', show);
    }
    this.element.dataset.hasVideo = String(shown !== undefined);
  }
}

function detach({ info, video }: { info: TileMedia; video: HTMLVideoElement }): void {
  if (info.detach) info.detach(video);
  else video.srcObject = null;
}

/** Up to two initials of a display name: "Ada Lovelace" → "AL", "bob" → "B". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters.map((word) => [...(word ?? '')][0]?.toUpperCase() ?? '').join('') || '?';
}

/** A stable hue per name, so each person's avatar keeps its colour. */
function hue(name: string): number {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 360;
  return hash;
}

function element(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function badge(name: string, label: string, iconName: 'micOff' | 'cameraOff'): HTMLElement {
  const node = element('span', 'badge icon-badge');
  node.dataset.badge = name;
  node.title = label;
  node.setAttribute('role', 'img');
  node.setAttribute('aria-label', label);
  node.append(icon(iconName));
  return node;
}

function button(iconName: 'pin' | 'stats', label: string): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = 'tile-button';
  node.setAttribute('aria-label', label);
  node.append(icon(iconName));
  return node;
}
