import type { DownlinkLimit } from './DownlinkEstimate.js';
import type { PublisherLayer } from './PublisherLayer.js';

/** What a viewer asks for on its `confer-layers` data channel (null: no limit). */
export interface VideoPreference {
  maxWidth: number | null;
  maxHeight: number | null;
  paused: boolean;
}

/** No preference: the highest layer the downlink allows. */
export const NO_PREFERENCE: VideoPreference = { maxWidth: null, maxHeight: null, paused: false };

/** A layer a little larger than the box still fits (encoders round sizes, tiles are not exact). */
const SIZE_SLACK = 1.1;

/**
 * Reads a `videoPreference` message; undefined when it is not one. Numbers must be positive, null or
 * absent means no limit, so a library sending only `paused` works too.
 */
export function parseVideoPreference(text: string): VideoPreference | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || (message as { type?: unknown }).type !== 'videoPreference') return undefined;
  const { maxWidth, maxHeight, paused } = message as Record<string, unknown>;
  const limit = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null);
  return { maxWidth: limit(maxWidth), maxHeight: limit(maxHeight), paused: paused === true };
}

/** A layer's picture size: its own (from its keyframes), else derived from a measured layer at a factor of 2 per step. */
export function layerSize(layer: PublisherLayer, layers: readonly PublisherLayer[]): { width: number; height: number } | undefined {
  if (layer.width !== undefined && layer.height !== undefined) return { width: layer.width, height: layer.height };
  const known = layers.find((l) => l.width !== undefined && l.height !== undefined);
  if (!known) return undefined;
  const factor = 2 ** (layer.index - known.index);
  return { width: Math.round(known.width! * factor), height: Math.round(known.height! * factor) };
}

/**
 * Chooses the layer one viewer gets: the highest that fits both its preference (the box it shows the
 * video in, or paused) and its downlink. Candidates are the layers that flow, and those dynacast
 * paused (asking for one brings it back). A preference applies at once; the downlink lowers the layer
 * when it is congested (the budget then caps the current layer too) and, while a congestion's
 * ceiling lasts, keeps higher layers from being tried (see DownlinkEstimate for the hysteresis).
 */
export function chooseLayer(
  layers: readonly PublisherLayer[],
  preference: VideoPreference,
  limit: DownlinkLimit,
  current: PublisherLayer | undefined,
  now: number,
): PublisherLayer | undefined {
  if (preference.paused) return undefined;
  const candidates = layers.filter((l) => l.isFlowing(now) || (l.pausedByDynacast && l.hasFlowed));
  if (candidates.length === 0) return undefined;
  const fits = (layer: PublisherLayer) => {
    const size = layerSize(layer, layers);
    if (!size) return true;
    return (preference.maxWidth === null || size.width <= preference.maxWidth * SIZE_SLACK) && (preference.maxHeight === null || size.height <= preference.maxHeight * SIZE_SLACK);
  };
  const preferred = [...candidates].reverse().find(fits) ?? candidates[0]!;
  const affordable = (layer: PublisherLayer) => {
    // While the link is not congested, the layer being forwarded is evidently affordable.
    if (!limit.congested && layer === current) return true;
    return layer.expectedBitrate(now) <= limit.budget;
  };
  const allowed = candidates.filter((l) => l.index <= preferred.index && affordable(l));
  return allowed.at(-1) ?? candidates[0];
}
