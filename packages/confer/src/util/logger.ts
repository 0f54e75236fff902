/** Where the library writes its diagnostics; pass `console` to see them. */
export interface Logger {
  debug(message: string, ...data: unknown[]): void;
  warn(message: string, ...data: unknown[]): void;
}

/** The default: the library is silent unless given a logger. @internal */
export const silentLogger: Logger = { debug: () => undefined, warn: () => undefined };
