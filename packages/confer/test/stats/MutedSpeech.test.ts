import { describe, expect, it } from 'vitest';
import { MutedSpeech, openLevelMeter } from '../../src/stats/MutedSpeech.js';
import type { MutedMicrophone } from '../../src/stats/MutedSpeech.js';
import { createFakeMediaStream, FakeMediaStream, FakeTrack } from '../fakes/media.js';
import { waitFor } from '../fakes/waitFor.js';
import { roomHarness } from '../room/roomHarness.js';

const LOUD = 0.5;
const QUIET = 0.001;

/** A microphone track that can be cloned, as the browser's; clones share the source and are recorded. */
class ClonableTrack extends FakeTrack {
  readonly clones: ClonableTrack[] = [];

  constructor() {
    super('audio');
  }

  clone(): ClonableTrack {
    const copy = new ClonableTrack();
    copy.enabled = this.enabled;
    this.clones.push(copy);
    return copy;
  }
}

/** The part of Web Audio the meter uses: a source feeding an analyser whose samples the test sets. */
class FakeAudioContext {
  static opened: FakeAudioContext[] = [];
  level = QUIET;
  state: 'running' | 'suspended' | 'closed' = 'suspended';
  sourceTracks: MediaStreamTrack[] = [];
  connected = false;

  constructor() {
    FakeAudioContext.opened.push(this);
  }

  createMediaStreamSource(stream: MediaStream) {
    this.sourceTracks = stream.getTracks();
    return { connect: () => void (this.connected = true), disconnect: () => void (this.connected = false) };
  }

  createAnalyser() {
    const analyser = {
      fftSize: 2048,
      // A sine of amplitude `level`: its RMS is level / √2.
      getFloatTimeDomainData: (samples: Float32Array) => {
        for (let i = 0; i < samples.length; i++) samples[i] = (this.sourceTracks[0]?.enabled ? this.level : 0) * Math.sin(i / 3);
      },
    };
    return analyser;
  }

  resume(): Promise<void> {
    this.state = 'running';
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.state = 'closed';
    return Promise.resolve();
  }
}

const createAudioContext = () => new FakeAudioContext() as unknown as AudioContext;

/** A stream as the detector sees a LocalStream, with a mute switch. */
function microphone(): MutedMicrophone & { track: ClonableTrack; audioMuted: boolean } {
  const track = new ClonableTrack();
  return { track, audioMuted: false, published: true, mediaStream: new FakeMediaStream([track]) as unknown as MediaStream, speakingMuted: false };
}

/** Samples every 100 ms from `start` for `ticks` ticks; answers what changed, per tick that changed something. */
function feed(detector: MutedSpeech<MutedMicrophone>, streams: MutedMicrophone[], start: number, ticks: number, setLevel?: (level: number) => void, level?: number): string[] {
  const reported: string[] = [];
  if (level !== undefined) setLevel?.(level);
  for (let tick = 0; tick < ticks; tick++) {
    const changed = detector.sample(streams, start + tick * 100);
    if (changed.length > 0) reported.push(`${start + tick * 100}:${changed.map((s) => s.speakingMuted).join(',')}`);
  }
  return reported;
}

describe('openLevelMeter', () => {
  it('measures an enabled clone of the muted track, and closes the clone, the node and the context', async () => {
    const track = new ClonableTrack();
    track.enabled = false;
    const meter = openLevelMeter(track as unknown as MediaStreamTrack, createAudioContext, createFakeMediaStream);
    const context = FakeAudioContext.opened.at(-1)!;
    expect(track.clones).toHaveLength(1);
    expect(context.sourceTracks).toEqual([track.clones[0]]);
    expect([track.clones[0]!.enabled, track.enabled, context.connected, context.state]).toEqual([true, false, true, 'running']);
    context.level = LOUD;
    expect(meter.read()).toBeCloseTo(LOUD / Math.SQRT2, 2);
    meter.close();
    expect([track.clones[0]!.readyState, track.readyState, context.connected, context.state]).toEqual(['ended', 'live', false, 'closed']);
  });
});

describe('MutedSpeech', () => {
  function detector() {
    const contexts: FakeAudioContext[] = [];
    const speech = new MutedSpeech<MutedMicrophone>((track) => {
      const meter = openLevelMeter(track, createAudioContext, createFakeMediaStream);
      contexts.push(FakeAudioContext.opened.at(-1)!);
      return meter;
    });
    const setLevel = (level: number) => contexts.forEach((context) => (context.level = level));
    return { speech, contexts, setLevel };
  }

  it('measures only muted microphones: a meter opens on mute and closes on unmute', () => {
    const { speech, contexts } = detector();
    const mic = microphone();
    speech.sample([mic], 0);
    expect(contexts).toHaveLength(0);
    mic.audioMuted = true;
    speech.sample([mic], 100);
    speech.sample([mic], 200);
    expect(contexts.map((c) => c.state)).toEqual(['running']);
    mic.audioMuted = false;
    speech.sample([mic], 300);
    expect(contexts.map((c) => c.state)).toEqual(['closed']);
    expect(mic.track.clones.map((t) => t.readyState)).toEqual(['ended']);
  });

  it('flags speech by the active-speaker rule with its hysteresis, and clears at once on unmute', () => {
    const { speech, setLevel } = detector();
    const mic = microphone();
    mic.audioMuted = true;
    speech.sample([mic], 0);
    // Quiet: never flagged.
    expect(feed(speech, [mic], 100, 10, setLevel, QUIET)).toEqual([]);
    // Loud: flagged at the first 500 ms evaluation whose window is loud enough.
    expect(feed(speech, [mic], 1100, 10, setLevel, LOUD)).toEqual(['1500:true']);
    expect(mic.speakingMuted).toBe(true);
    // A pause shorter than releaseMs keeps the flag; a longer one clears it once.
    expect(feed(speech, [mic], 2100, 6, setLevel, QUIET)).toEqual([]);
    expect(feed(speech, [mic], 2700, 10, setLevel, QUIET)).toEqual(['3500:false']);
    expect(feed(speech, [mic], 3700, 10, setLevel, LOUD)).toEqual(['4000:true']);
    mic.audioMuted = false;
    expect(feed(speech, [mic], 4700, 1)).toEqual(['4700:false']);
  });

  it('an unpublished stream loses its meter and its flag; close() closes every meter', () => {
    const { speech, contexts, setLevel } = detector();
    const [a, b] = [microphone(), microphone()];
    a.audioMuted = b.audioMuted = true;
    speech.sample([a, b], 0);
    feed(speech, [a, b], 100, 6, setLevel, LOUD);
    expect([a.speakingMuted, b.speakingMuted]).toEqual([true, true]);
    expect(speech.sample([b], 800).map((s) => s === a)).toEqual([true]);
    expect(a.speakingMuted).toBe(false);
    expect(contexts.map((c) => c.state)).toEqual(['closed', 'running']);
    speech.close();
    expect(contexts.map((c) => c.state)).toEqual(['closed', 'closed']);
    expect(b.speakingMuted).toBe(false);
  });
});

describe('Room: speakingWhileMuted', () => {
  it('is measured only while speakingWhileMutedChanged has a listener, and reported for a muted microphone that hears speech', async () => {
    const contexts: FakeAudioContext[] = [];
    const { room, devices } = roomHarness({
      createAudioContext: () => {
        const context = new FakeAudioContext();
        context.level = LOUD;
        contexts.push(context);
        return context as unknown as AudioContext;
      },
    });
    devices.getUserMedia = async () => new FakeMediaStream([new ClonableTrack()]) as unknown as MediaStream;
    await room.join('c1');
    const local = await room.publish({ type: 'MIC' });
    await local.setMuted('audio', true);
    const seen: boolean[] = [];
    // Other sampled events alone measure nothing.
    const unbindSpeakers = room.on('activeSpeakersChanged', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(contexts).toHaveLength(0);
    const unbind = room.on('speakingWhileMutedChanged', (stream, speaking) => {
      expect(stream).toBe(local);
      seen.push(speaking);
    });
    await waitFor(() => seen.length === 1, 'speakingWhileMutedChanged');
    expect([seen, local.speakingWhileMuted, contexts.length]).toEqual([[true], true, 1]);
    await local.setMuted('audio', false);
    await waitFor(() => seen.length === 2, 'the flag cleared by unmuting');
    expect([seen, local.speakingWhileMuted, contexts[0]!.state]).toEqual([[true, false], false, 'closed']);
    await local.setMuted('audio', true);
    await waitFor(() => contexts.length === 2, 'a meter for the second mute');
    unbind();
    expect(contexts[1]!.state).toBe('closed');
    unbindSpeakers();
    await room.leave();
  });
});
