import * as sdpTransform from 'sdp-transform';
import type { RTCPeerConnection } from 'werift';
import { MediaRouterError } from './MediaRouter.js';
import type { IceCandidate } from './MediaRouter.js';
import type { NetworkConfig } from './NetworkConfig.js';
import { parseCandidateLine } from './NetworkConfig.js';
import type { ResourceTracker } from './ResourceTracker.js';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Applies an offer and returns the answer with every server candidate in it: werift gathers inside
 * setLocalDescription, and clients of the API never receive server candidates any other way.
 * `stillWanted` is asked after each step, so an owner closed meanwhile stops here (its close()
 * has already released the peer connection).
 */
export async function answerOffer(
  pc: RTCPeerConnection,
  offerSdp: string,
  network: NetworkConfig,
  tracker: ResourceTracker,
  stillWanted: () => boolean,
): Promise<string> {
  const gone = () => new MediaRouterError('not-found', 'closed while its offer was being answered');
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  } catch (error) {
    throw new MediaRouterError('bad-request', `sdpOffer was refused by the WebRTC stack: ${messageOf(error)}`);
  }
  if (!stillWanted()) throw gone();
  try {
    const answer = await pc.createAnswer();
    await network.openSockets(() => pc.setLocalDescription(answer));
  } catch (error) {
    throw new MediaRouterError('internal', `could not create the SDP answer: ${messageOf(error)}`);
  }
  if (!stillWanted()) throw gone();
  tracker.adoptSockets(pc);
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new MediaRouterError('internal', 'the WebRTC stack produced no local description');
  if (!/^a=candidate:/m.test(sdp)) throw new MediaRouterError('internal', 'no ICE candidate could be gathered (check the media network options)');
  return network.announce(keepInactiveBundled(sdp));
}

/** What ties an SDP to one client peer connection (its DTLS certificate), to one ICE session (its credentials), and orders its offers (`o=`). */
interface TransportIdentity {
  fingerprint: string | undefined;
  iceCredentials: string | undefined;
  sessionId: string | undefined;
  sessionVersion: bigint | undefined;
}

function transportIdentity(sdp: string): TransportIdentity {
  const session = sdpTransform.parse(sdp);
  const media = session.media[0];
  const fingerprint = session.fingerprint ?? media?.fingerprint;
  const ufrag = media?.iceUfrag ?? session.iceUfrag;
  const pwd = media?.icePwd ?? session.icePwd;
  const version = session.origin?.sessionVersion;
  return {
    fingerprint: fingerprint ? `${fingerprint.type.toLowerCase()} ${fingerprint.hash.toUpperCase()}` : undefined,
    iceCredentials: ufrag && pwd ? `${ufrag}:${pwd}` : undefined,
    sessionId: session.origin ? String(session.origin.sessionId) : undefined,
    sessionVersion: version !== undefined && /^\d+$/.test(String(version)) ? BigInt(String(version)) : undefined,
  };
}

/**
 * How a reconnection offer relates to the client connection `pc` answers. `ice-restart`: the same
 * DTLS fingerprint as `pc`'s remote description (the same client RTCPeerConnection, whose DTLS
 * session goes on), new ICE credentials and a newer `o=` session version. `stale`: the same client
 * connection, but an offer it made before the one applied (a request held up, e.g. by TCP through an
 * outage, whose client gave it up and restarted again): applying it would move ICE to credentials the
 * client no longer uses. `repeat`: the offer applied last, sent again (its client got no answer the
 * first time): answered with the same answer. `other`: anything else, e.g. a new client connection.
 */
export type OfferRelation = 'ice-restart' | 'repeat' | 'stale' | 'other';

/** See {@link OfferRelation}. */
export function offerRelation(pc: RTCPeerConnection, offerSdp: string): OfferRelation {
  const current = pc.remoteDescription?.sdp;
  if (!current) return 'other';
  const before = transportIdentity(current);
  const after = transportIdentity(offerSdp);
  if (before.fingerprint === undefined || before.fingerprint !== after.fingerprint) return 'other';
  const ordered = before.sessionId === after.sessionId && before.sessionVersion !== undefined && after.sessionVersion !== undefined;
  if (ordered && after.sessionVersion === before.sessionVersion && after.iceCredentials === before.iceCredentials) return 'repeat';
  if (ordered && after.sessionVersion! <= before.sessionVersion!) return 'stale';
  return after.iceCredentials !== undefined && after.iceCredentials !== before.iceCredentials ? 'ice-restart' : 'other';
}

/** The 400 for a stale offer (see {@link OfferRelation}). */
export function staleOffer(): MediaRouterError {
  return new MediaRouterError('bad-request', 'sdpOffer is older than the offer this connection applied (its o= session version is not higher); ignored');
}

/**
 * werift writes port 0 on every inactive m-line, which in an answer means "rejected", yet keeps it
 * in the BUNDLE group; Chrome refuses such an answer (a rejected m-line may not stay bundled, RFC 8843
 * §7.3.3). It happens to a viewer of a SCREEN stream, which offers audio for tab audio the stream
 * lacks. The m-line is meant as accepted but inactive, so it gets the bundle's port back.
 */
export function keepInactiveBundled(answerSdp: string): string {
  const session = sdpTransform.parse(answerSdp);
  const bundled = new Set((session.groups ?? []).filter((group) => group.type === 'BUNDLE').flatMap((group) => String(group.mids).split(' ')));
  const port = session.media.find((media) => media.port !== 0)?.port;
  const inactive = session.media.filter((media) => media.port === 0 && bundled.has(String(media.mid)));
  if (port === undefined || inactive.length === 0) return answerSdp;
  for (const media of inactive) media.port = port;
  return sdpTransform.write(session);
}

/**
 * Adds trickled candidates after checking all of them (a bad one refuses the whole call, so none is
 * half-applied). Candidates the network policy refuses (mDNS, TCP, non-loopback in loopback mode)
 * are skipped silently: they are legitimate, just not usable here.
 */
export async function addRemoteCandidates(pc: RTCPeerConnection, candidates: readonly IceCandidate[], network: NetworkConfig): Promise<void> {
  const usable: Array<[number, IceCandidate]> = [];
  candidates.forEach((candidate, i) => {
    if (typeof candidate?.candidate !== 'string') throw new MediaRouterError('bad-request', `candidates[${i}].candidate must be a string`);
    if (candidate.candidate.trim() === '') return; // end-of-candidates: nothing to do for werift
    const parsed = parseCandidateLine(candidate.candidate);
    if (!parsed) throw new MediaRouterError('bad-request', `candidates[${i}].candidate is not an ICE candidate line: ${JSON.stringify(candidate.candidate.slice(0, 80))}`);
    if (network.acceptsRemoteCandidate(parsed)) usable.push([i, candidate]);
  });
  for (const [i, candidate] of usable) {
    const sdpMid = candidate.sdpMid ?? undefined;
    // With BUNDLE every m-line shares one transport, so a candidate that names none goes to the first.
    const sdpMLineIndex = candidate.sdpMLineIndex ?? (sdpMid === undefined ? 0 : undefined);
    try {
      await pc.addIceCandidate({ candidate: candidate.candidate.trim().replace(/^a=/, ''), sdpMid, sdpMLineIndex });
    } catch (error) {
      throw new MediaRouterError('bad-request', `candidates[${i}] was refused: ${messageOf(error)}`);
    }
  }
}
