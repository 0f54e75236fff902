import type { Metadata } from '../api/types.js';

/**
 * The metadata conventions of the cloud service's native clients, so that a web participant and the
 * vendor's apps understand each other. What is known: the iOS SDK reads conference metadata keys that
 * start with `ON_HOLD` and `RECORDER`. Their value formats are not documented, so they are read
 * tolerantly (see `readOnHold` and `readRecording`). @internal
 */

/** Conference metadata keys starting with this put the call on hold. */
export const ON_HOLD_PREFIX = 'ON_HOLD';
/** Conference metadata keys starting with this say that a recorder runs. */
export const RECORDER_PREFIX = 'RECORDER';

/** The values that mean "no" in a flag-like key (compared trimmed and lower-cased). */
const OFF_VALUES = new Set(['', 'false', '0', 'null']);
/** Recorder states (a JSON value's `state`, lower-cased) that mean nothing is being recorded. */
const NOT_RECORDING_STATES = new Set(['stopped', 'idle', 'failed', 'ended', 'inactive', 'error']);

/** The recording state of a conference: whether a recorder runs, and its `state` when its value is JSON that names one. */
export interface RecordingState {
  recording: boolean;
  state: string | undefined;
}

/** On hold while any `ON_HOLD…` key holds a value other than empty, "false", "0" or "null". */
export function readOnHold(metadata: ReadonlyMap<string, string>): boolean {
  for (const [key, value] of metadata) if (key.startsWith(ON_HOLD_PREFIX) && !OFF_VALUES.has(value.trim().toLowerCase())) return true;
  return false;
}

/**
 * Recording while any `RECORDER…` key is present, unless its value says otherwise: a flag value of
 * empty/"false"/"0"/"null", or JSON whose `recording` is false or whose `state` is stopped, idle,
 * failed, ended, inactive or error. The state is the first `state` string found.
 */
export function readRecording(metadata: ReadonlyMap<string, string>): RecordingState {
  let recording = false;
  let state: string | undefined;
  for (const [key, value] of metadata) {
    if (!key.startsWith(RECORDER_PREFIX)) continue;
    const parsed = parseJsonObject(value);
    const keyState = typeof parsed?.state === 'string' ? parsed.state : undefined;
    state ??= keyState;
    const off = parsed
      ? parsed.recording === false || (keyState !== undefined && NOT_RECORDING_STATES.has(keyState.toLowerCase()))
      : OFF_VALUES.has(value.trim().toLowerCase()) && value.trim() !== '';
    if (!off) recording = true;
  }
  return { recording, state };
}

/** The participant metadata a web participant joins with: `name` and `avatarUrl` as the native clients read them, under the caller's own keys. */
export function participantMetadata(metadata: Metadata | undefined, name: string | undefined, avatarUrl: string | undefined): Metadata | undefined {
  if (name === undefined && avatarUrl === undefined) return metadata;
  return { ...(name !== undefined ? { name } : {}), ...(avatarUrl !== undefined ? { avatarUrl } : {}), ...metadata };
}

/** What the native clients publish with each stream; the caller's own metadata keys win. */
export interface StreamConventions {
  /** A UUID per publish, the same when the library reconnects the stream. */
  correlationId: string;
  /** The participant's main (camera or microphone) stream, not a screen share. */
  primary: boolean;
  /** The video is taller than wide (false without video). */
  portraitMode: boolean;
  /** The name the participant joined with, when it gave one. */
  participantName: string | undefined;
}

/** The stream metadata of one publish, conventions first, then the caller's keys. */
export function streamMetadata(conventions: StreamConventions, metadata: Metadata | undefined): Metadata {
  const { participantName, ...rest } = conventions;
  return { ...rest, ...(participantName !== undefined ? { participantName } : {}), ...metadata };
}

/** Whether the stream's video track is in portrait (height > width), from the track's settings. */
export function isPortrait(mediaStream: MediaStream): boolean {
  const settings = mediaStream.getVideoTracks()[0]?.getSettings?.();
  return !!settings?.width && !!settings.height && settings.height > settings.width;
}

/** A string field of participant metadata, or undefined. */
export function stringField(metadata: Metadata, field: string): string | undefined {
  const value = metadata[field];
  return typeof value === 'string' ? value : undefined;
}

function parseJsonObject(value: string): Record<string, unknown> | undefined {
  if (!value.trim().startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
