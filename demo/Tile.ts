import { formatTileStats, StatsSampler } from './StatsSampler.js';

/** What a tile shows about its stream. */
export interface TileInfo {
  streamId: string;
  /** MIC, CAM, MIC_AND_CAM, SCREEN. */
  type: string;
  /** Our own stream (self view, muted playback, outbound stats). */
  local: boolean;
  mediaStream: MediaStream;
  /** The stats of the connection carrying the stream, from the library (undefined while none is open). */
  getStats(): Promise<RTCStatsReport | undefined>;
}

/** One stream in the grid: its video, the publisher's name, stream type, mute and SICK badges, and a stats overlay. */
export class Tile {
  readonly element: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly nameLabel: HTMLElement;
  private readonly avatar: HTMLElement;
  private readonly audioMutedBadge: HTMLElement;
  private readonly videoMutedBadge: HTMLElement;
  private readonly sickBadge: HTMLElement;
  private readonly statsList: HTMLElement;
  private readonly sampler: StatsSampler;
  private readonly controller = new AbortController();

  constructor(readonly info: TileInfo) {
    this.sampler = new StatsSampler(info.local ? 'outbound' : 'inbound');
    this.element = document.createElement('figure');
    this.element.className = 'tile';
    this.element.dataset.streamId = info.streamId;
    this.element.dataset.type = info.type;
    this.element.dataset.local = String(info.local);

    this.video = document.createElement('video');
    this.video.autoplay = true;
    this.video.playsInline = true;
    // Our own microphone must never play back; remote audio plays through the tile's video element.
    this.video.muted = info.local;
    this.video.dataset.streamId = info.streamId;
    this.video.dataset.type = info.type;
    if (!info.local) this.video.dataset.remote = 'true';
    this.video.srcObject = info.mediaStream;

    this.avatar = element('div', 'avatar');
    this.nameLabel = element('span', 'name');
    this.audioMutedBadge = element('span', 'badge muted', 'mic muted');
    this.audioMutedBadge.dataset.badge = 'audio-muted';
    this.videoMutedBadge = element('span', 'badge muted', 'camera off');
    this.videoMutedBadge.dataset.badge = 'video-muted';
    this.sickBadge = element('span', 'badge sick', 'SICK');
    this.sickBadge.dataset.badge = 'sick';
    this.sickBadge.title = 'This participant’s media connections are failing';
    for (const badge of [this.audioMutedBadge, this.videoMutedBadge, this.sickBadge]) badge.hidden = true;

    const caption = document.createElement('figcaption');
    caption.append(this.nameLabel, element('span', 'badge type', info.type), this.audioMutedBadge, this.videoMutedBadge, this.sickBadge);
    this.statsList = element('dl', 'stats');
    this.statsList.setAttribute('aria-label', 'connection statistics');
    this.element.append(this.video, this.avatar, caption, this.statsList);

    const refreshVideo = () => {
      this.element.dataset.hasVideo = String(info.mediaStream.getVideoTracks().length > 0);
    };
    refreshVideo();
    info.mediaStream.addEventListener('addtrack', refreshVideo, { signal: this.controller.signal });
    info.mediaStream.addEventListener('removetrack', refreshVideo, { signal: this.controller.signal });
  }

  setName(name: string): void {
    this.nameLabel.textContent = name;
    this.avatar.textContent = name.slice(0, 1).toUpperCase();
  }

  setMuted(kind: 'audio' | 'video', muted: boolean): void {
    (kind === 'audio' ? this.audioMutedBadge : this.videoMutedBadge).hidden = !muted;
    this.element.dataset[kind === 'audio' ? 'audioMuted' : 'videoMuted'] = String(muted);
  }

  setSick(sick: boolean): void {
    this.sickBadge.hidden = !sick;
    this.element.dataset.sick = String(sick);
  }

  /** Samples `report` (the stats of the connection carrying this stream) into the overlay. */
  showStats(report: RTCStatsReport): void {
    const rows = formatTileStats(this.sampler.sample(report));
    this.statsList.replaceChildren(
      ...rows.flatMap(([label, value]) => {
        const dd = element('dd', '', value);
        dd.dataset.stat = label;
        return [element('dt', '', label), dd];
      }),
    );
  }

  /** Detaches the stream; the caller removes the element. */
  close(): void {
    this.controller.abort();
    this.video.srcObject = null;
    this.element.remove();
  }
}

function element(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
