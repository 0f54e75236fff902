import { describe, expect, it } from 'vitest';
import { fitGrid, layoutTiles, overlaps, type Rect } from '../../demo/layout/tileLayout.js';

const inside = (rect: Rect, width: number, height: number) => rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= width && rect.y + rect.height <= height;
const noOverlap = (rects: Rect[]) => rects.every((a, i) => rects.slice(i + 1).every((b) => !overlaps(a, b)));

describe('fitGrid', () => {
  it('gives one tile the whole height of a wide box', () => {
    // 1280×680 (a 1280×800 window minus the bars): a 16:9 tile limited by the height.
    expect(fitGrid(1, 1280, 680, 16 / 9, 8)).toEqual({ columns: 1, rows: 1, tileWidth: 1208, tileHeight: 680 });
  });

  it('puts three people in a 2×2 grid rather than one thin row', () => {
    const fit = fitGrid(3, 1280, 680, 16 / 9, 8);
    expect(fit).toMatchObject({ columns: 2, rows: 2 });
    // Each tile gets more than a quarter of the box, not 324 px.
    expect(fit.tileHeight).toBe(336);
  });

  it('stacks two people in a portrait box', () => {
    expect(fitGrid(2, 390, 640, 3 / 4, 8)).toMatchObject({ columns: 1, rows: 2 });
  });

  it('is empty for no tiles or no room', () => {
    expect(fitGrid(0, 100, 100, 1, 0).columns).toBe(0);
    expect(fitGrid(3, 0, 100, 1, 0).tileWidth).toBe(0);
  });
});

describe('layoutTiles', () => {
  const sizes = [
    [1280, 680],
    [1920, 960],
    [390, 700],
  ] as const;

  it.each(sizes)('fits 1 to 12 tiles in %i×%i without overlap or scrolling', (width, height) => {
    for (let count = 1; count <= 12; count++) {
      const layout = layoutTiles({ width, height, count, stage: false, gap: 8, minTileWidth: 100 });
      expect(layout.scroll).toBe('none');
      expect(layout.tiles).toHaveLength(count);
      expect(layout.tiles.every((tile) => inside(tile, width, height))).toBe(true);
      expect(noOverlap(layout.tiles)).toBe(true);
    }
  });

  it('scrolls a large call instead of shrinking tiles below the minimum', () => {
    const layout = layoutTiles({ width: 1280, height: 680, count: 40, stage: false, gap: 8, minTileWidth: 200 });
    expect(layout.scroll).toBe('vertical');
    expect(Math.min(...layout.tiles.map((tile) => tile.width))).toBeGreaterThanOrEqual(200);
    expect(noOverlap(layout.tiles)).toBe(true);
  });

  it('gives the stage most of a landscape box and a strip on the right', () => {
    const layout = layoutTiles({ width: 1280, height: 680, count: 3, stage: true, gap: 8, minTileWidth: 100 });
    expect(layout.stage).toEqual({ x: 0, y: 0, width: 1016, height: 680 });
    expect(layout.tiles.every((tile) => tile.x >= 1024 && inside(tile, 1280, 680))).toBe(true);
    expect(noOverlap([layout.stage!, ...layout.tiles])).toBe(true);
  });

  it('narrows strip tiles on a phone so three fit, and scrolls sideways beyond that', () => {
    const three = layoutTiles({ width: 390, height: 700, count: 3, stage: true, gap: 8, minTileWidth: 100 });
    expect(three.scroll).toBe('none');
    expect(three.tiles.every((tile) => inside(tile, 390, 700))).toBe(true);
    const layout = layoutTiles({ width: 390, height: 700, count: 5, stage: true, gap: 8, minTileWidth: 100 });
    expect(layout.stage!.width).toBe(390);
    expect(layout.tiles.every((tile) => tile.y > layout.stage!.height)).toBe(true);
    expect(layout.scroll).toBe('horizontal');
    expect(noOverlap([layout.stage!, ...layout.tiles])).toBe(true);
  });
});
