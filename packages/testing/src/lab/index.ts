/**
 * `@confer/testing/lab`: the network lab. A throwaway network of Linux network namespaces per test, a
 * host per participant and one for the reference server, and faults on each host (blackout, loss,
 * bandwidth, UDP or HTTP drops, a crash, a frozen or restarted server). Needs Linux and root.
 */
export { NetworkLab, runId, sweepRun } from './NetworkLab.js';
export type { LabSupport, LabResource } from './NetworkLab.js';
export { LabHost } from './LabHost.js';
export type { LabEndpoint } from './LabHost.js';
export { LabServer } from './LabServer.js';
export type { LabServerOptions } from './LabServer.js';
export { launchLabChromium, labChromiumArgs } from './labChromium.js';
export { launchLabFirefox, resolveFirefox, FIREFOX_PREFS } from './labFirefox.js';
export type { LabFirefox } from './labFirefox.js';
export { CommandError, run } from './exec.js';
