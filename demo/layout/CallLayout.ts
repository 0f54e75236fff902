import type { Tile } from '../tiles/Tile.js';
import { layoutTiles, type Rect } from './tileLayout.js';

const GAP = 8;

/**
 * The tile area of a call: owns the tiles (keyed by person or by screen share), decides what is on
 * the stage (a pinned tile, else the newest screen share of someone else), and places every tile
 * with {@link layoutTiles} whenever the area resizes or tiles come and go. The active speaker is
 * highlighted and, when the call is too large to fit, scrolled into view.
 */
export class CallLayout {
  private readonly tiles = new Map<string, Tile>();
  private readonly rects = new Map<string, Rect>();
  private readonly observer: ResizeObserver;
  private pinned: string | undefined;
  private speaker: string | undefined;
  private frame = 0;
  private stage: { tile: Tile; rect: Rect } | undefined;
  private readonly controller = new AbortController();

  constructor(private readonly area: HTMLElement) {
    this.observer = new ResizeObserver(() => this.relayout());
    this.observer.observe(area);
    // When a long strip scrolls, the stage stays where it is: it is moved by the scroll offset.
    area.addEventListener('scroll', () => this.placeStage(), { passive: true, signal: this.controller.signal });
  }

  /** Adds `tile` (our own person tile goes first, everyone else in arrival order). */
  add(tile: Tile): Tile {
    const existing = this.tiles.get(tile.key);
    if (existing) return existing;
    this.tiles.set(tile.key, tile);
    this.area.append(tile.element);
    this.scheduleLayout();
    return tile;
  }

  get(key: string): Tile | undefined {
    return this.tiles.get(key);
  }

  all(): Tile[] {
    return [...this.tiles.values()];
  }

  remove(key: string): void {
    const tile = this.tiles.get(key);
    if (!tile) return;
    this.tiles.delete(key);
    this.rects.delete(key);
    if (this.pinned === key) this.pinned = undefined;
    if (this.speaker === key) this.speaker = undefined;
    tile.close();
    this.scheduleLayout();
  }

  /** Pins `key` to the stage, or unpins it when it is pinned already. */
  togglePin(key: string): void {
    this.pinned = this.pinned === key ? undefined : key;
    for (const tile of this.tiles.values()) tile.setPinned(tile.key === this.pinned);
    this.scheduleLayout();
  }

  /** Highlights the tile of whoever speaks (undefined: nobody) and brings it into view. */
  setActiveSpeaker(key: string | undefined): void {
    if (key === this.speaker) return;
    this.speaker = key;
    for (const tile of this.tiles.values()) tile.setSpeaking(tile.key === key);
    if (key) this.bringIntoView(key);
  }

  /** Removes every tile. */
  clear(): void {
    for (const tile of this.tiles.values()) tile.close();
    this.tiles.clear();
    this.rects.clear();
    this.pinned = this.speaker = undefined;
    this.scheduleLayout();
  }

  /** Stops watching the area's size. */
  close(): void {
    this.clear();
    this.observer.disconnect();
    this.controller.abort();
    cancelAnimationFrame(this.frame);
  }

  /** Places every tile now. */
  relayout(): void {
    const { clientWidth: width, clientHeight: height } = this.area;
    const ordered = [...this.tiles.values()].sort((a, b) => Number(b.local && b.kind === 'person') - Number(a.local && a.kind === 'person'));
    const stageTile = this.stageTile();
    const others = ordered.filter((tile) => tile !== stageTile);
    const layout = layoutTiles({ width, height, count: others.length, stage: stageTile !== undefined, gap: GAP, minTileWidth: width < 600 ? 120 : 180 });
    this.area.dataset.mode = stageTile ? 'stage' : 'grid';
    this.area.dataset.scroll = layout.scroll;
    this.area.dataset.count = String(this.tiles.size);
    this.rects.clear();
    this.stage = stageTile && layout.stage ? { tile: stageTile, rect: layout.stage } : undefined;
    this.placeStage();
    others.forEach((tile, i) => {
      const rect = layout.tiles[i];
      if (!rect) return;
      tile.place(rect, stageTile ? 'strip' : 'grid');
      this.rects.set(tile.key, rect);
    });
  }

  private placeStage(): void {
    if (!this.stage) return;
    const { tile, rect } = this.stage;
    tile.place({ ...rect, x: rect.x + this.area.scrollLeft, y: rect.y + this.area.scrollTop }, 'stage');
  }

  private stageTile(): Tile | undefined {
    if (this.pinned) return this.tiles.get(this.pinned);
    // Our own screen is never shown back to us (the page says "you are sharing" instead), so any screen tile is someone else's.
    return [...this.tiles.values()].reverse().find((tile) => tile.kind === 'screen');
  }

  private bringIntoView(key: string): void {
    const rect = this.rects.get(key);
    if (!rect || this.area.dataset.scroll === 'none') return;
    const { scrollLeft, scrollTop, clientWidth, clientHeight } = this.area;
    const visible = rect.x >= scrollLeft && rect.y >= scrollTop && rect.x + rect.width <= scrollLeft + clientWidth && rect.y + rect.height <= scrollTop + clientHeight;
    if (!visible) this.area.scrollTo({ left: rect.x - GAP, top: rect.y - GAP, behavior: 'smooth' });
  }

  /** Tiles often come in bursts (joining a call lists everyone): one layout per frame is enough. */
  private scheduleLayout(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.relayout());
  }
}
