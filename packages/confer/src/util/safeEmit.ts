import type { Emitter, EventsMap } from 'nanoevents';
import type { Logger } from './logger.js';

/**
 * Calls every listener of `event`, each in its own try/catch: a listener that throws is reported
 * (like an EventTarget listener, through `reportError` where the platform has it) and the others,
 * and the caller (e.g. the event loop), go on. @internal
 */
export function safeEmit<Events extends EventsMap, K extends keyof Events>(
  emitter: Emitter<Events>,
  logger: Logger,
  event: K,
  ...args: Parameters<Events[K]>
): void {
  // A snapshot: a listener that unbinds itself or another must not shift the iteration.
  const listeners = [...(emitter.events[event] ?? [])];
  for (const listener of listeners) {
    try {
      listener(...args);
    } catch (error) {
      logger.warn(`a "${String(event)}" listener threw`, error);
      const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
      if (typeof report === 'function') report(error);
    }
  }
}
