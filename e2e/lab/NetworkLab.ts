/** The network lab lives in `@confer/testing/lab`; this name stays for bench/recovery.ts until it imports from there. */
export { NetworkLab, runId, sweepRun } from '@confer/testing/lab';
