import type { CreateMediaStream } from '../media/browser.js';
import { ActiveSpeakers } from './ActiveSpeakers.js';

/** Creates the AudioContext that measures a muted microphone; tests pass a fake. */
export type CreateAudioContext = () => AudioContext;

/** The level of one microphone, read on the room's clock. @internal */
export interface LevelMeter {
  /** The RMS level of the last ~21 ms, 0..1 (linear, 1 = 0 dBov), the scale of `audioLevel`. */
  read(): number;
  close(): void;
}

/** What a muted stream needs of its microphone: its current audio track. @internal */
export interface MutedMicrophone {
  readonly audioMuted: boolean;
  readonly published: boolean;
  readonly mediaStream: MediaStream;
  /** Set by the detector; the stream reads it as `speakingWhileMuted`. */
  speakingMuted: boolean;
}

/**
 * Measures a muted microphone with one AnalyserNode on an enabled clone of its track: a muted track
 * is disabled, so it (and the sender's `media-source` stats) reads silence. The clone, the context and
 * the node are this meter's and go in `close()`. @internal
 */
export function openLevelMeter(track: MediaStreamTrack, createAudioContext: CreateAudioContext, createMediaStream: CreateMediaStream): LevelMeter {
  const clone = track.clone();
  clone.enabled = true;
  const context = createAudioContext();
  const source = context.createMediaStreamSource(createMediaStream([clone]));
  const analyser = context.createAnalyser();
  // 1024 samples (21 ms at 48 kHz): one Opus packet, the span of the RFC 6464 level the others' speech is
  // judged by. A longer window would count Chromium's fake microphone (a short beep every 500 ms) as speech.
  analyser.fftSize = 1024;
  source.connect(analyser);
  // A context made without a user gesture may start suspended; muting is usually a click, so this resumes it.
  context.resume().catch(() => undefined);
  const samples = new Float32Array(analyser.fftSize);
  return {
    read() {
      analyser.getFloatTimeDomainData(samples);
      // RMS, as RFC 6464 levels are, so the active-speaker thresholds mean the same here.
      let energy = 0;
      for (const sample of samples) energy += sample * sample;
      return Math.min(1, Math.sqrt(energy / samples.length));
    },
    close() {
      source.disconnect();
      clone.stop();
      context.close().catch(() => undefined);
    },
  };
}

/**
 * Tells which muted microphones hear speech, by the active-speaker rule and thresholds (with their
 * hysteresis): one meter per muted stream, opened on the first sample after it was muted and closed
 * on the first after it was unmuted, unpublished, its track replaced, or `sample([])`. @internal
 */
export class MutedSpeech<S extends MutedMicrophone> {
  private readonly meters = new Map<S, { track: MediaStreamTrack; meter: LevelMeter }>();
  private readonly speech = new ActiveSpeakers<S>();
  private readonly flagged = new Set<S>();

  constructor(private readonly openMeter: (track: MediaStreamTrack) => LevelMeter) {}

  /** Measures the muted ones among `streams` (every 100 ms); answers the streams whose `speakingMuted` changed. */
  sample(streams: readonly S[], now: number): S[] {
    const levels = new Map<S, number>();
    for (const stream of streams) {
      const track = stream.audioMuted && stream.published ? stream.mediaStream.getAudioTracks()[0] : undefined;
      if (this.meters.get(stream)?.track !== track) this.closeMeter(stream);
      if (!track || track.readyState === 'ended') continue;
      let entry = this.meters.get(stream);
      if (!entry) this.meters.set(stream, (entry = { track, meter: this.openMeter(track) }));
      levels.set(stream, entry.meter.read());
    }
    for (const stream of this.meters.keys()) if (!streams.includes(stream)) this.closeMeter(stream);
    this.speech.add(levels);
    // The list is re-evaluated every 500 ms; a stream unmuted since has no level and stops at once.
    const speaking = new Set(this.speech.update(now) ?? this.speech.speakers);
    const changed: S[] = [];
    for (const stream of new Set([...this.flagged, ...speaking])) {
      const on = speaking.has(stream) && levels.has(stream);
      if (on === this.flagged.has(stream)) continue;
      if (on) this.flagged.add(stream);
      else this.flagged.delete(stream);
      stream.speakingMuted = on;
      changed.push(stream);
    }
    return changed;
  }

  /** Closes every meter and clears every flag, reporting nothing (no one listens any more, or the room closed). */
  close(): void {
    for (const stream of [...this.meters.keys()]) this.closeMeter(stream);
    for (const stream of this.flagged) stream.speakingMuted = false;
    this.flagged.clear();
    this.speech.add(new Map());
  }

  private closeMeter(stream: S): void {
    this.meters.get(stream)?.meter.close();
    this.meters.delete(stream);
  }
}
