import { parse } from 'sdp-transform';

/** One m-line of a fake SDP; `rids` adds rid-based simulcast in the direction's sense (RFC 8853). */
export interface FakeMedia {
  kind: 'audio' | 'video';
  direction: string;
  port?: number;
  rids?: string[];
}

/** A minimal SDP with one m-line per kind, each with the given direction (port 0 rejects it). */
export function fakeSdp(media: FakeMedia[]): string {
  const lines = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0'];
  media.forEach(({ kind, direction, port = 9, rids }, mid) => {
    const pt = kind === 'audio' ? 111 : 96;
    lines.push(
      `m=${kind} ${port} UDP/TLS/RTP/SAVPF ${pt}`,
      'c=IN IP4 0.0.0.0',
      `a=mid:${mid}`,
      `a=${direction}`,
      `a=rtpmap:${pt} ${kind === 'audio' ? 'opus/48000/2' : 'VP8/90000'}`,
    );
    if (!rids?.length) return;
    const sense = direction === 'sendonly' ? 'send' : 'recv';
    for (const rid of rids) lines.push(`a=rid:${rid} ${sense}`);
    lines.push(`a=simulcast:${sense} ${rids.join(';')}`);
  });
  return `${lines.join('\r\n')}\r\n`;
}

/** The answer a server would give: every offered m-line accepted in the opposite direction, simulcast too unless `simulcast: false`. */
export function answerFor(offer: string, options: { simulcast?: boolean } = {}): string {
  const opposite: Record<string, string> = { sendonly: 'recvonly', recvonly: 'sendonly', sendrecv: 'sendrecv', inactive: 'inactive' };
  return fakeSdp(
    parse(offer).media.map((m) => ({
      kind: m.type as 'audio' | 'video',
      direction: opposite[m.direction ?? 'sendrecv'] ?? 'inactive',
      ...(options.simulcast !== false && m.rids ? { rids: m.rids.map((r) => String(r.id)) } : {}),
    })),
  );
}
