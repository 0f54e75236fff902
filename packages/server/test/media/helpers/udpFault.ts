import { execFileSync } from 'node:child_process';

/** A client's selected candidate pair, by its local and remote ports and its id (new for each ICE generation). */
export async function selectedPair(pc: RTCPeerConnection): Promise<{ id: string; localPort: number; remotePort: number } | undefined> {
  const byId = new Map<string, Record<string, unknown>>();
  (await pc.getStats()).forEach((s: Record<string, unknown>) => byId.set(String(s.id), s));
  for (const s of byId.values()) {
    if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
    const pair = byId.get(String(s.selectedCandidatePairId));
    const local = byId.get(String(pair?.localCandidateId));
    const remote = byId.get(String(pair?.remoteCandidateId));
    if (pair && local && remote) return { id: String(pair.id), localPort: Number(local.port), remotePort: Number(remote.port) };
  }
  return undefined;
}

/**
 * Drops every UDP datagram from or to `port` on this namespace's loopback (nftables: only inside the
 * test's own `unshare -n` namespace) until the returned function, which may be called again, lifts it.
 */
export function dropUdp(port: number): () => void {
  const table = `confer_udp_${port}`;
  execFileSync('nft', ['-f', '-'], { input: `table inet ${table} {\n chain out { type filter hook output priority 0; udp sport ${port} drop; udp dport ${port} drop; }\n}\n` });
  let lifted = false;
  return () => {
    if (lifted) return;
    lifted = true;
    execFileSync('nft', ['delete', 'table', 'inet', table]);
  };
}
