/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The reference server's URL, set by `npm run demo` (demo/dev.ts) and by the e2e build. */
  readonly VITE_CONFER_SERVER?: string;
}
