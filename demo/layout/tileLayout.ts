/** A rectangle in CSS pixels, relative to the tile area's top-left corner. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The best grid for `count` tiles of one aspect ratio in a box. */
export interface GridFit {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

/**
 * The column count that makes `count` tiles of `aspect` (width / height) as large as possible in a
 * `width` × `height` box with `gap` between them. Tries every column count (a call has at most a few
 * dozen tiles, so this is cheaper than being clever) and keeps the largest tile; on a tie the one with
 * fewer rows wins, so 2 tiles in a wide box sit side by side.
 */
export function fitGrid(count: number, width: number, height: number, aspect: number, gap: number): GridFit {
  if (count <= 0 || width <= 0 || height <= 0) return { columns: 0, rows: 0, tileWidth: 0, tileHeight: 0 };
  let best: GridFit = { columns: 1, rows: count, tileWidth: 0, tileHeight: 0 };
  for (let columns = 1; columns <= count; columns++) {
    const rows = Math.ceil(count / columns);
    const cellWidth = (width - gap * (columns - 1)) / columns;
    const cellHeight = (height - gap * (rows - 1)) / rows;
    if (cellWidth <= 0 || cellHeight <= 0) continue;
    // The tile is as wide as the cell allows, unless the cell is too short for that width.
    const tileWidth = Math.min(cellWidth, cellHeight * aspect);
    if (tileWidth > best.tileWidth + 0.5) best = { columns, rows, tileWidth, tileHeight: tileWidth / aspect };
  }
  return { ...best, tileWidth: Math.floor(best.tileWidth), tileHeight: Math.floor(best.tileHeight) };
}

/** The smallest side of a strip tile before the strip scrolls instead of shrinking them further. */
const STRIP_MIN = 90;

/** What {@link layoutTiles} needs to know about the box and the call. */
export interface LayoutInput {
  /** The visible tile area. */
  width: number;
  height: number;
  /** How many tiles besides the stage tile (or all of them without a stage). */
  count: number;
  /** Whether one tile (a screen share or a pinned person) takes the main area. */
  stage: boolean;
  gap: number;
  /** Below this width tiles stop shrinking and the area scrolls instead (a large call). */
  minTileWidth: number;
}

/** Where every tile goes: `stage` (when asked for), then `tiles` in order; `scroll` says which way the area scrolls. */
export interface Layout {
  stage?: Rect;
  tiles: Rect[];
  /** The tiles' aspect ratio (width / height). */
  aspect: number;
  scroll: 'none' | 'vertical' | 'horizontal';
}

/**
 * Lays out a call in a box: a grid sized from the count and the aspect ratio that always fits, or a
 * stage with the others in a strip (on the right in a landscape box, below in a portrait one). A
 * landscape box gets 16:9 tiles, a portrait one (a phone) 3:4, so a lone tile fills the screen
 * instead of a letterbox. Only when tiles would be smaller than `minTileWidth` does the grid, or the
 * strip, overflow (and scroll), so a 30-person call stays legible.
 */
export function layoutTiles(input: LayoutInput): Layout {
  const { width, height, count, gap } = input;
  const landscape = width >= height;
  const aspect = landscape ? 16 / 9 : 3 / 4;
  if (!input.stage) return { ...layoutGrid(count, { x: 0, y: 0, width, height }, aspect, gap, input.minTileWidth), aspect };
  if (count === 0) return { stage: { x: 0, y: 0, width, height }, tiles: [], aspect, scroll: 'none' };

  if (landscape) {
    // A strip of one column on the right, a fifth of the width within sensible bounds.
    const stripWidth = Math.round(Math.min(320, Math.max(160, width * 0.2)));
    const stage = { x: 0, y: 0, width: width - stripWidth - gap, height };
    const tileWidth = stripWidth;
    // As tall as 16:9 allows, shorter (down to a legible minimum) so that a small call's strip fits without scrolling.
    const tileHeight = Math.floor(Math.max(STRIP_MIN, Math.min(tileWidth / aspect, (height - (count - 1) * gap) / count)));
    const total = count * tileHeight + (count - 1) * gap;
    // Centred vertically when the strip is short, stacked from the top (and scrolling) when it is long.
    const top = total < height ? Math.round((height - total) / 2) : 0;
    const tiles = range(count).map((i) => ({ x: stage.width + gap, y: top + i * (tileHeight + gap), width: tileWidth, height: tileHeight }));
    return { stage, tiles, aspect, scroll: total > height ? 'vertical' : 'none' };
  }

  // Portrait: a strip of one row below the stage, a quarter of the height; its tiles are 3:4.
  const stripHeight = Math.round(Math.min(200, Math.max(110, height * 0.25)));
  const stage = { x: 0, y: 0, width, height: height - stripHeight - gap };
  const tileHeight = stripHeight;
  const tileWidth = Math.floor(Math.max(STRIP_MIN, Math.min(tileHeight * aspect, (width - (count - 1) * gap) / count)));
  const total = count * tileWidth + (count - 1) * gap;
  const left = total < width ? Math.round((width - total) / 2) : 0;
  const tiles = range(count).map((i) => ({ x: left + i * (tileWidth + gap), y: stage.height + gap, width: tileWidth, height: tileHeight }));
  return { stage, tiles, aspect, scroll: total > width ? 'horizontal' : 'none' };
}

function layoutGrid(count: number, box: Rect, aspect: number, gap: number, minTileWidth: number): Omit<Layout, 'aspect'> {
  if (count === 0) return { tiles: [], scroll: 'none' };
  let fit = fitGrid(count, box.width, box.height, aspect, gap);
  let scroll: Layout['scroll'] = 'none';
  if (fit.tileWidth < minTileWidth) {
    // Too many to fit legibly: as many columns of the minimum width as fit, and the area scrolls.
    const columns = Math.max(1, Math.floor((box.width + gap) / (minTileWidth + gap)));
    const tileWidth = Math.floor((box.width - gap * (columns - 1)) / columns);
    fit = { columns, rows: Math.ceil(count / columns), tileWidth, tileHeight: Math.floor(tileWidth / aspect) };
    scroll = 'vertical';
  }
  const { columns, rows, tileWidth, tileHeight } = fit;
  const usedHeight = rows * tileHeight + (rows - 1) * gap;
  const top = scroll === 'none' ? Math.floor((box.height - usedHeight) / 2) : 0;
  const tiles = range(count).map((i) => {
    const row = Math.floor(i / columns);
    // The last row may be short: centre it rather than leave a hole on the right.
    const inRow = row === rows - 1 ? count - row * columns : columns;
    const rowWidth = inRow * tileWidth + (inRow - 1) * gap;
    const left = Math.floor((box.width - rowWidth) / 2);
    const column = i - row * columns;
    return { x: box.x + left + column * (tileWidth + gap), y: box.y + top + row * (tileHeight + gap), width: tileWidth, height: tileHeight };
  });
  return { tiles, scroll };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Whether two rectangles share any area (touching edges do not count). */
export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
