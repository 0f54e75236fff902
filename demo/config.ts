/** Where the demo connects and as whom, from the page URL with build-time defaults. */
export interface DemoConfig {
  /** The conference server: `?server=`, else the URL `npm run demo` built in, else port 8080 of this host. */
  serverUrl: string;
  /** `?room=` of a shared link. */
  room: string | undefined;
  /** `?name=` to prefill the display name. */
  name: string | undefined;
  /** OAuth client of the reference server's development setup (`?clientId=` / `?clientSecret=` to try others). */
  clientId: string;
  clientSecret: string;
}

/** Reads the demo's configuration from `location`. */
export function readDemoConfig(location: Location): DemoConfig {
  const params = new URLSearchParams(location.search);
  const text = (name: string) => params.get(name)?.trim() || undefined;
  return {
    serverUrl: (text('server') ?? import.meta.env.VITE_CONFER_SERVER ?? `${location.protocol}//${location.hostname}:8080`).replace(/\/$/, ''),
    room: text('room'),
    name: text('name'),
    clientId: text('clientId') ?? 'demo',
    clientSecret: text('clientSecret') ?? 'demo',
  };
}

/** A user id for the token: the display name made URL-safe, plus a suffix so two "Alice"s differ. */
export function userIdFor(name: string): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'guest';
  return `${base}-${Math.random().toString(36).slice(2, 6)}`;
}

/** The link that opens this demo on `room` (keeping a `?server=` override, if any). */
export function inviteLink(location: Location, room: string): string {
  const url = new URL(location.pathname, location.origin);
  const server = new URLSearchParams(location.search).get('server');
  if (server) url.searchParams.set('server', server);
  url.searchParams.set('room', room);
  return url.toString();
}
