import { fileURLToPath } from 'node:url';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Inside this repository the packages resolve to their TypeScript sources, so the demo, the tests
 * and the benchmarks run without a build. tsconfig.json's `paths` say the same for tsc, tsx and Playwright.
 */
export const workspaceAliases: Record<string, string> = {
  // Before `confer`: aliases match prefixes, and the first match wins.
  'confer/devices': source('./packages/confer/src/devices.ts'),
  confer: source('./packages/confer/src/index.ts'),
  '@confer/server': source('./packages/server/src/index.ts'),
};
