import type { RemoteStream } from './RemoteStream.js';

/** The browser pieces adaptive stream watches; tests pass fakes. @internal */
export interface AdaptiveEnvironment {
  ResizeObserver: typeof ResizeObserver;
  IntersectionObserver: typeof IntersectionObserver;
  document: Pick<Document, 'hidden' | 'addEventListener'>;
  devicePixelRatio: () => number;
}

/** How long sizes and visibility settle before the server hears of them: a resize fires on every animation frame. @internal */
export const ADAPTIVE_DEBOUNCE_MS = 100;

interface Watched {
  stream: RemoteStream;
  /** CSS pixels; 0 until the ResizeObserver has measured the element. */
  width: number;
  height: number;
  visible: boolean;
}

/**
 * Adaptive stream: follows the size (ResizeObserver, times devicePixelRatio) and visibility
 * (IntersectionObserver, `document.hidden`) of every element a remote stream is attached to, and gives
 * the stream the size of its largest visible element as its preference, or paused when none is
 * visible. One pair of observers and one `visibilitychange` listener for the whole room, made with the
 * first element; `close()` releases them. @internal
 */
export class AdaptiveStream {
  private readonly controller = new AbortController();
  private readonly watched = new Map<Element, Watched>();
  private readonly dirty = new Set<RemoteStream>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private observers: [ResizeObserver, IntersectionObserver] | undefined;

  constructor(private readonly env: AdaptiveEnvironment | undefined = browserEnvironment()) {}

  /** Follows `element` as a view of `stream` (instead of whatever it showed before). */
  observe(stream: RemoteStream, element: Element): void {
    const env = this.env;
    if (!env || this.controller.signal.aborted) return;
    this.observers ??= this.start(env);
    this.unobserve(element);
    this.watched.set(element, { stream, width: 0, height: 0, visible: true });
    for (const observer of this.observers) observer.observe(element);
    this.mark(stream);
  }

  /** Stops following `element`; a stream left with no element has no adaptive preference. */
  unobserve(element: Element): void {
    const watched = this.watched.get(element);
    if (!watched) return;
    this.watched.delete(element);
    for (const observer of this.observers ?? []) observer.unobserve(element);
    this.mark(watched.stream);
  }

  /** Disconnects the observers, removes the listener and drops pending updates; idempotent. */
  close(): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort();
    clearTimeout(this.timer);
    for (const observer of this.observers ?? []) observer.disconnect();
    this.watched.clear();
    this.dirty.clear();
  }

  private start(env: AdaptiveEnvironment): [ResizeObserver, IntersectionObserver] {
    env.document.addEventListener('visibilitychange', () => this.watched.forEach(({ stream }) => this.mark(stream)), { signal: this.controller.signal });
    return [
      new env.ResizeObserver((entries) => entries.forEach(({ target, contentRect }) => this.update(target, { width: contentRect.width, height: contentRect.height }))),
      new env.IntersectionObserver((entries) => entries.forEach(({ target, isIntersecting }) => this.update(target, { visible: isIntersecting }))),
    ];
  }

  private update(element: Element, change: Partial<Watched>): void {
    const watched = this.watched.get(element);
    if (!watched) return;
    Object.assign(watched, change);
    this.mark(watched.stream);
  }

  private mark(stream: RemoteStream): void {
    this.dirty.add(stream);
    this.timer ??= setTimeout(() => this.flush(), ADAPTIVE_DEBOUNCE_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const { document, devicePixelRatio } = this.env!;
    const ratio = devicePixelRatio();
    for (const stream of this.dirty) {
      const elements = [...this.watched.values()].filter((watched) => watched.stream === stream);
      const visible = document.hidden ? [] : elements.filter((watched) => watched.visible);
      // An element not measured yet (0) could be any size: ask for no limit rather than the smallest layer.
      const largest = (side: 'width' | 'height') =>
        visible.length === 0 || visible.some((watched) => watched[side] === 0) ? null : Math.ceil(Math.max(...visible.map((watched) => watched[side])) * ratio);
      stream.setAdaptivePreference(elements.length === 0 ? undefined : { maxWidth: largest('width'), maxHeight: largest('height'), paused: visible.length === 0 });
    }
    this.dirty.clear();
  }
}

function browserEnvironment(): AdaptiveEnvironment | undefined {
  if (typeof ResizeObserver === 'undefined' || typeof IntersectionObserver === 'undefined' || typeof document === 'undefined') return undefined;
  return { ResizeObserver, IntersectionObserver, document, devicePixelRatio: () => globalThis.devicePixelRatio || 1 };
}
