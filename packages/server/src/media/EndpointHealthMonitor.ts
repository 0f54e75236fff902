import type { EndpointHealth } from './MediaRouter.js';

/** Where the monitor reports a change of an endpoint's health. */
export type HealthListener = (conferenceId: string, userEndpointId: string, health: EndpointHealth) => void;

/**
 * Derives each endpoint's health from its media objects: SICK while at least one of them (a
 * publisher, a viewer) reports trouble, HEALTHY once none does, including after the troubled one
 * was closed. Only changes are reported, asynchronously; an endpoint starts HEALTHY without a report.
 */
export class EndpointHealthMonitor {
  /** endpoint key -> ids of its sick sources. */
  private readonly sickSources = new Map<string, Set<string>>();

  constructor(private readonly listener: HealthListener) {}

  /** Records whether one source (a publisher or viewer id) of an endpoint is sick. */
  set(conferenceId: string, userEndpointId: string, sourceId: string, sick: boolean): void {
    const key = JSON.stringify([conferenceId, userEndpointId]);
    const sources = this.sickSources.get(key) ?? new Set<string>();
    const wasSick = sources.size > 0;
    if (sick) sources.add(sourceId);
    else sources.delete(sourceId);
    if (sources.size > 0) this.sickSources.set(key, sources);
    else this.sickSources.delete(key);
    const isSick = sources.size > 0;
    if (isSick === wasSick) return;
    const health = isSick ? 'SICK' : 'HEALTHY';
    // Delivered on a microtask: a change caused by the control plane's own call (unpublish, stopView)
    // must not re-enter it halfway through that call. Order is kept.
    queueMicrotask(() => {
      try {
        this.listener(conferenceId, userEndpointId, health);
      } catch (error) {
        // The control plane's bug must not break media forwarding; report it and carry on.
        console.error('onEndpointHealth listener threw', error);
      }
    });
  }

  /** Forgets a closed source; may turn its endpoint HEALTHY. */
  forget(conferenceId: string, userEndpointId: string, sourceId: string): void {
    this.set(conferenceId, userEndpointId, sourceId, false);
  }
}
