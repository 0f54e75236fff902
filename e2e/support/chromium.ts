/** The participants' Chromium flags and lookup come from `@confer/testing`; re-exported for the benchmarks' browsers. */
export { CHROMIUM_ARGS, resolveChromium } from '@confer/testing';
