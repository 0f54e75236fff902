import { AdaptiveStream } from './AdaptiveStream.js';
import type { RemoteStream } from './RemoteStream.js';

/**
 * Plays remote streams in media elements and remembers those the browser's autoplay policy refused
 * (`play()` rejected with NotAllowedError) until a user gesture lets `resume()` play them. With
 * adaptive stream on, the elements' size and visibility become the streams' video preferences. @internal
 */
export class Playback {
  private readonly blocked = new Set<HTMLMediaElement>();
  private adaptive: AdaptiveStream | undefined;
  /** The room's `adaptiveStream` option. */
  adaptiveStream = true;

  constructor(private readonly onBlocked: (stream: RemoteStream, element: HTMLMediaElement) => void) {}

  /** Whether some element waits for `resume()`. */
  get isBlocked(): boolean {
    return this.blocked.size > 0;
  }

  /** Plays `element`; a refusal by the autoplay policy is reported, not thrown. */
  async play(stream: RemoteStream, element: HTMLMediaElement): Promise<void> {
    if (this.adaptiveStream) (this.adaptive ??= new AdaptiveStream()).observe(stream, element);
    try {
      await element.play();
      this.blocked.delete(element);
    } catch (error) {
      // AbortError: srcObject changed or detach() ran before playback started; nothing to resume.
      if ((error as { name?: string } | undefined)?.name !== 'NotAllowedError') return;
      this.blocked.add(element);
      this.onBlocked(stream, element);
    }
  }

  /** The element no longer shows a stream. */
  forget(element: HTMLMediaElement): void {
    this.blocked.delete(element);
    this.adaptive?.unobserve(element);
  }

  /** Plays every refused element again; call from a user gesture. Rejects when the browser still refuses. */
  async resume(): Promise<void> {
    await Promise.all(
      [...this.blocked].map(async (element) => {
        await element.play();
        this.blocked.delete(element);
      }),
    );
  }

  /** Forgets every element and stops adaptive stream's observers (the room closed). */
  clear(): void {
    this.blocked.clear();
    this.adaptive?.close();
    this.adaptive = undefined;
  }
}
