/** The lab's Chromium lives in `@confer/testing/lab`; this name stays for bench/recovery.ts until it imports from there. */
export { launchLabChromium, labChromiumArgs } from '@confer/testing/lab';
