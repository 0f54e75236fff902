/**
 * `@confer/testing`: test your own Confer call pages with Playwright the way Confer tests its own: the
 * reference server as a fixture, participants with fake devices, media assertions from `getStats()`,
 * leak checks, and (in the network lab, `@confer/testing/lab`) network faults.
 */
export { test, expect } from './fixtures.js';
export type { ConferFixtures, ConferWorkerFixtures, ConferTestOptions, ConferWorkerOptions, ConferNetwork, ParticipantFactory, ParticipantOptions } from './fixtures.js';
export { Participant } from './Participant.js';
export type { ParticipantNetwork, OpenParticipantOptions } from './Participant.js';
export { expectVideoFlowing, expectAudioFlowing, expectStreamCount, expectNoLeaks, readPeerConnections, MEDIA_TIMEOUT_MS } from './assertions.js';
export type { FlowingOptions, PeerConnectionReading, InboundTrackStats, MediaElementReading } from './assertions.js';
export { installRtcCensus } from './census.js';
export type { RtcCensus, RtcCensusCounts, RtcCensusDetails } from './census.js';
export { CHROMIUM_ARGS, DEBIAN_CHROMIUM, NO_CHROMIUM_HINT, findChromium, resolveChromium } from './chromium.js';
export type { ChromiumLookup, ChromiumLookupPlaces } from './chromium.js';
export { startConferServer } from './server.js';
export type { ConferServer, ConferServerOptions } from './server.js';
