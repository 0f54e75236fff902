/**
 * A microphone level meter for the pre-join screen: an AnalyserNode on the preview's audio track,
 * read once per animation frame into a CSS variable. Web Audio rather than the library's
 * `LocalStream.audioLevel`, which exists only once a stream is published (it reads the sender's
 * stats); before joining there is no sender.
 */
export class LevelMeter {
  readonly element: HTMLElement;
  private context: AudioContext | undefined;
  private frame = 0;

  constructor() {
    this.element = document.createElement('div');
    this.element.className = 'level-meter';
    this.element.setAttribute('role', 'meter');
    this.element.setAttribute('aria-label', 'Microphone level');
    this.element.setAttribute('aria-valuemin', '0');
    this.element.setAttribute('aria-valuemax', '100');
    this.element.append(document.createElement('span'));
  }

  /** Follows `track` (undefined: shows nothing). */
  follow(track: MediaStreamTrack | undefined): void {
    this.stop();
    if (!track) return;
    const context = new AudioContext();
    this.context = context;
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const tick = () => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      // RMS to a 0..1 scale that moves for speech: -60 dBFS reads 0, 0 dBFS reads 1.
      const db = 20 * Math.log10(Math.sqrt(sum / samples.length) || 1e-6);
      const level = track.enabled ? Math.min(1, Math.max(0, (db + 60) / 60)) : 0;
      this.element.style.setProperty('--level', level.toFixed(2));
      this.element.setAttribute('aria-valuenow', String(Math.round(level * 100)));
      this.frame = requestAnimationFrame(tick);
    };
    tick();
  }

  stop(): void {
    cancelAnimationFrame(this.frame);
    void this.context?.close().catch(() => undefined);
    this.context = undefined;
    this.element.style.setProperty('--level', '0');
  }
}
