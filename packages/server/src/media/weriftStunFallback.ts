import { Connection } from 'werift';

/**
 * werift's ICE agent falls back to stun.l.google.com:19302 when no STUN server is configured
 * (`this.stunServer = validateAddress(stunServer) ?? ["stun.l.google.com", 19302]` in its Connection
 * constructor), so even `iceServers: []` sends a DNS query and a STUN request off the machine and makes
 * every answer wait for them. Clearing that fallback when gathering starts makes "no iceServers" mean
 * "no STUN", as it does in browsers; a configured STUN server is kept.
 */
type GatheringConnection = { options: { stunServer?: unknown }; stunServer?: unknown };
const prototype = Connection.prototype as unknown as Record<'getCandidatePromises', (...args: unknown[]) => unknown>;
const getCandidatePromises = prototype.getCandidatePromises;
prototype.getCandidatePromises = function (this: GatheringConnection, ...args: unknown[]) {
  if (!this.options.stunServer) this.stunServer = undefined;
  return getCandidatePromises.apply(this, args);
};
