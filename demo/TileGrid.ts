import { Tile, type TileInfo } from './Tile.js';

/** How often the stats overlays refresh. */
const STATS_INTERVAL_MS = 1000;

/** The responsive grid of tiles, keyed by stream id, with one timer refreshing every tile's stats. */
export class TileGrid {
  private readonly tiles = new Map<string, Tile>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly container: HTMLElement) {}

  /** Adds a tile (or returns the existing one for that stream). */
  add(info: TileInfo): Tile {
    const existing = this.tiles.get(info.streamId);
    if (existing) return existing;
    const tile = new Tile(info);
    this.tiles.set(info.streamId, tile);
    // Own tiles first, then remote ones in arrival order.
    if (info.local) this.container.prepend(tile.element);
    else this.container.append(tile.element);
    this.layoutChanged();
    return tile;
  }

  get(streamId: string): Tile | undefined {
    return this.tiles.get(streamId);
  }

  remove(streamId: string): void {
    const tile = this.tiles.get(streamId);
    if (!tile) return;
    this.tiles.delete(streamId);
    tile.close();
    this.layoutChanged();
  }

  /** Every tile, e.g. to rename all the tiles of one participant. */
  all(): Tile[] {
    return [...this.tiles.values()];
  }

  /** Removes every tile and stops the stats timer. */
  clear(): void {
    for (const tile of this.tiles.values()) tile.close();
    this.tiles.clear();
    this.layoutChanged();
  }

  private layoutChanged(): void {
    this.container.dataset.count = String(this.tiles.size);
    if (this.tiles.size > 0 && this.timer === undefined) {
      this.timer = setInterval(() => void this.refreshStats(), STATS_INTERVAL_MS);
    } else if (this.tiles.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async refreshStats(): Promise<void> {
    await Promise.all(
      [...this.tiles.values()].map(async (tile) => {
        try {
          const report = await tile.info.getStats();
          if (report) tile.showStats(report);
        } catch {
          // The connection closed while it was being read: the next round reads the new one.
        }
      }),
    );
  }
}
