import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADAPTIVE_DEBOUNCE_MS, AdaptiveStream } from '../../src/media/AdaptiveStream.js';
import type { AdaptiveEnvironment } from '../../src/media/AdaptiveStream.js';
import { RemoteStream } from '../../src/media/RemoteStream.js';
import { createFakeMediaStream, FakeWindow } from '../fakes/media.js';

/** A ResizeObserver or IntersectionObserver stand-in: records what it observes, `fire()` plays the browser. */
class FakeObserver<Entry> {
  readonly observed = new Set<Element>();
  disconnected = false;

  constructor(private readonly callback: (entries: Entry[]) => void) {}

  observe(element: Element): void {
    this.observed.add(element);
  }

  unobserve(element: Element): void {
    this.observed.delete(element);
  }

  disconnect(): void {
    this.disconnected = true;
    this.observed.clear();
  }

  fire(entries: Entry[]): void {
    this.callback(entries);
  }
}

function setup() {
  const resize: FakeObserver<{ target: Element; contentRect: { width: number; height: number } }>[] = [];
  const intersection: FakeObserver<{ target: Element; isIntersecting: boolean }>[] = [];
  const document = Object.assign(new FakeWindow(), { hidden: false });
  let ratio = 1;
  const env = {
    ResizeObserver: class extends FakeObserver<never> {
      constructor(callback: (entries: never[]) => void) {
        super(callback);
        resize.push(this as never);
      }
    },
    IntersectionObserver: class extends FakeObserver<never> {
      constructor(callback: (entries: never[]) => void) {
        super(callback);
        intersection.push(this as never);
      }
    },
    document,
    devicePixelRatio: () => ratio,
  } as unknown as AdaptiveEnvironment;
  const adaptive = new AdaptiveStream(env);
  const stream = new RemoteStream('s1', 'alice-endpoint', 'alice', 'CAM', {}, createFakeMediaStream([]));
  const sent: unknown[] = [];
  stream.onVideoPreference = (preference) => sent.push(preference);
  const element = () => ({}) as Element;
  const size = (target: Element, width: number, height: number) => resize[0]!.fire([{ target, contentRect: { width, height } }]);
  const visible = (target: Element, isIntersecting: boolean) => intersection[0]!.fire([{ target, isIntersecting }]);
  const settle = () => vi.advanceTimersByTime(ADAPTIVE_DEBOUNCE_MS);
  return { adaptive, stream, sent, element, size, visible, settle, document, resize, intersection, setRatio: (r: number) => (ratio = r) };
}

describe('AdaptiveStream', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks for the size of the largest visible element in device pixels, once things settle', () => {
    const { adaptive, stream, sent, element, size, settle, setRatio } = setup();
    const small = element();
    const large = element();
    setRatio(2);
    adaptive.observe(stream, small);
    adaptive.observe(stream, large);
    size(small, 160, 90);
    size(large, 320, 180);
    expect(sent).toEqual([]);
    settle();
    expect(sent).toEqual([{ maxWidth: 640, maxHeight: 360, paused: false }]);
    expect(stream.videoPreference).toEqual({ maxWidth: 640, maxHeight: 360, paused: false });
    for (let width = 321; width < 330; width++) size(large, width, 180);
    settle();
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual({ maxWidth: 658, maxHeight: 360, paused: false });
  });

  it('asks for no limit while an element is not measured yet', () => {
    const { adaptive, stream, sent, element, settle } = setup();
    adaptive.observe(stream, element());
    settle();
    expect(sent).toEqual([]);
    expect(stream.videoPreference).toEqual({ maxWidth: null, maxHeight: null, paused: false });
  });

  it('pauses when no element is visible or the page is hidden, and resumes when one shows again', () => {
    const { adaptive, stream, sent, element, size, visible, settle, document } = setup();
    const tile = element();
    adaptive.observe(stream, tile);
    size(tile, 320, 180);
    visible(tile, false);
    settle();
    expect(sent.at(-1)).toEqual({ maxWidth: null, maxHeight: null, paused: true });
    visible(tile, true);
    settle();
    expect(sent.at(-1)).toEqual({ maxWidth: 320, maxHeight: 180, paused: false });
    document.hidden = true;
    document.dispatchEvent(new Event('visibilitychange'));
    settle();
    expect(sent.at(-1)).toEqual({ maxWidth: null, maxHeight: null, paused: true });
    document.hidden = false;
    document.dispatchEvent(new Event('visibilitychange'));
    settle();
    expect(sent.at(-1)).toEqual({ maxWidth: 320, maxHeight: 180, paused: false });
  });

  it('drops the preference when the last element goes, and an explicit one wins meanwhile', () => {
    const { adaptive, stream, sent, element, size, settle } = setup();
    const tile = element();
    adaptive.observe(stream, tile);
    size(tile, 320, 180);
    settle();
    stream.setVideoPreference({ maxHeight: 720 });
    size(tile, 640, 360);
    settle();
    expect(stream.videoPreference).toEqual({ maxWidth: null, maxHeight: 720, paused: false });
    stream.setVideoPreference(null);
    expect(stream.videoPreference).toEqual({ maxWidth: 640, maxHeight: 360, paused: false });
    adaptive.unobserve(tile);
    settle();
    expect(stream.videoPreference).toEqual({ maxWidth: null, maxHeight: null, paused: false });
    expect(sent).toEqual([
      { maxWidth: 320, maxHeight: 180, paused: false },
      { maxWidth: null, maxHeight: 720, paused: false },
      { maxWidth: 640, maxHeight: 360, paused: false },
      { maxWidth: null, maxHeight: null, paused: false },
    ]);
  });

  it('makes its observers and listener with the first element and releases them all in close()', () => {
    const { adaptive, stream, sent, element, size, settle, document, resize, intersection } = setup();
    expect(resize).toHaveLength(0);
    expect(document.listenerCount).toBe(0);
    const tile = element();
    adaptive.observe(stream, tile);
    adaptive.observe(stream, element());
    expect(resize).toHaveLength(1);
    expect(intersection).toHaveLength(1);
    expect(resize[0]!.observed.size).toBe(2);
    expect(document.listenerCount).toBe(1);
    size(tile, 320, 180);
    adaptive.close();
    adaptive.close();
    settle();
    expect(sent).toEqual([]);
    expect(resize[0]!.disconnected && intersection[0]!.disconnected).toBe(true);
    expect(document.listenerCount).toBe(0);
    adaptive.observe(stream, element());
    expect(resize).toHaveLength(1);
  });

  it('does nothing where the browser has no observers (Node)', () => {
    const adaptive = new AdaptiveStream();
    const stream = new RemoteStream('s1', 'a', undefined, 'CAM', {}, createFakeMediaStream([]));
    adaptive.observe(stream, {} as Element);
    adaptive.close();
    expect(stream.videoPreference).toEqual({ maxWidth: null, maxHeight: null, paused: false });
  });
});
