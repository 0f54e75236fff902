/**
 * Benchmark: how a call heals from network and server faults, in the network lab (e2e/lab, root and
 * Linux only; run inside `unshare -n` like the others). Two Chromium participants on their own lab
 * hosts, each publishing a 320×240 15 fps camera to the other; Alice takes the fault. For each
 * scenario one lab (and server), three faults in a row with the call settling in between:
 *
 *   blackout 10 s               Alice's host drops every packet
 *   black hole 100 s            the same for the issue's long outage: the server (30 s SICK + 60 s) removes her
 *   cable pulled 100 s          Alice's interface goes down (her browser sees it), and the server removes her
 *   server kill + restart       SIGKILL, then a new process with the same token secret (it knows no conference)
 *   UDP drop 10 s               Alice's media dies, her signalling lives
 *   HTTP drop 20 s              Alice's signalling dies (TCP to the API port), her media lives
 *   server frozen 8 s           SIGSTOP, then SIGCONT: sockets stay open, nothing answers
 *
 * Per fault, from the pages' own stamps (e2e/lab/recovery.ts): the media gap (the longest pause of a
 * video involving Alice), the time from the fault to `reconnecting` (room state or stream connection
 * state, whichever came first, at Alice; for the server, at anyone) and from the restore to the media
 * back at everyone. Median of 3 (BENCH_RUNS). BENCH_LONG_OUTAGE_S changes the long outages (below
 * 100 s the server gets a 10 s + 10 s ghost rule, so Alice is still removed); BENCH_SCENARIOS
 * (comma-separated parts of names, e.g. `100 s`) runs only the scenarios whose names contain one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { launchLabChromium, NetworkLab } from '@confer/testing/lab';
import { ChromiumLabParticipant, type LabParticipant } from '../e2e/lab/LabParticipant.js';
import { describeRecovery, measureRecovery, pageOf, pairsInvolving, pairsOf, waitForJoined, waitForMediaBack, type RecoveryTimes } from '../e2e/lab/recovery.js';
import { buildAndServePages } from '../e2e/support/buildPages.js';
import { HARNESS_PATH } from '../e2e/support/Participant.js';
import type { BenchRow } from './lib/report.js';
import { report } from './lib/report.js';
import { summarize } from './lib/stats.js';
import { onCleanup, runBenchmark, runConditions } from './support/cleanup.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LONG_OUTAGE_S = Number(process.env.BENCH_LONG_OUTAGE_S ?? 100);
const LONG_OUTAGE_SERVER_ENV = LONG_OUTAGE_S >= 100 ? undefined : { CONFER_GHOST_SICK_AFTER_MS: '10000', CONFER_GHOST_REMOVE_AFTER_MS: '10000' };
/** How long media may take to come back before a run counts as failed. */
const BACK_TIMEOUT_MS = 40_000;

interface Scenario {
  name: string;
  /** Who the fault hits: Alice alone, or everyone (the server). */
  faultsEveryone: boolean;
  serverEnv?: Record<string, string>;
  target?: string;
  /** The bound on fault → room `reconnecting`, where the fault cuts the room from the server. */
  reconnectingTarget?: string;
  /** Injects the fault, lasts it out and lifts it; returns the moments of the fault and of its end. */
  inject(alice: LabParticipant, lab: NetworkLab): Promise<{ faultAt: number; restoreAt: number }>;
}

/** A host fault on Alice for `ms`. */
function hostFault(ms: number, apply: (alice: LabParticipant) => Promise<void>): Scenario['inject'] {
  return async (alice) => {
    const faultAt = Date.now();
    await apply(alice);
    await sleep(ms);
    // Stamped before the rules go: restore() returns only after `nft` ran, which takes a while on a loaded machine.
    const restoreAt = Date.now();
    await alice.host.restore();
    return { faultAt, restoreAt };
  };
}

const SCENARIOS: Scenario[] = [
  { name: 'blackout 10 s', faultsEveryone: false, target: 'media back < 2 s', reconnectingTarget: '≤ 5 s', inject: hostFault(10_000, (a) => a.host.blackout()) },
  {
    name: `black hole ${LONG_OUTAGE_S} s`,
    faultsEveryone: false,
    target: 'media back ≤ 10 s',
    ...(LONG_OUTAGE_SERVER_ENV ? { serverEnv: LONG_OUTAGE_SERVER_ENV } : {}),
    inject: hostFault(LONG_OUTAGE_S * 1_000, (a) => a.host.blackout()),
  },
  {
    name: `cable pulled ${LONG_OUTAGE_S} s`,
    faultsEveryone: false,
    target: 'media back ≤ 10 s',
    ...(LONG_OUTAGE_SERVER_ENV ? { serverEnv: LONG_OUTAGE_SERVER_ENV } : {}),
    inject: hostFault(LONG_OUTAGE_S * 1_000, (a) => a.host.unplug()),
  },
  {
    name: 'server kill + restart',
    faultsEveryone: true,
    target: 'media back ≤ 10 s',
    inject: async (_alice, lab) => {
      const faultAt = Date.now();
      await lab.runningServer.restart();
      return { faultAt, restoreAt: Date.now() };
    },
  },
  { name: 'UDP drop 10 s', faultsEveryone: false, inject: hostFault(10_000, (a) => a.host.dropUdp()) },
  { name: 'HTTP drop 20 s', faultsEveryone: false, reconnectingTarget: '≤ 5 s', inject: hostFault(20_000, (a) => a.host.dropHttp()) },
  {
    name: 'server frozen 8 s (SIGSTOP)',
    faultsEveryone: true,
    reconnectingTarget: '≤ 5 s',
    inject: async (_alice, lab) => {
      const faultAt = Date.now();
      lab.runningServer.stop();
      try {
        await sleep(8_000);
      } finally {
        lab.runningServer.resume();
      }
      return { faultAt, restoreAt: Date.now() };
    },
  },
];

/**
 * Counts the peer connections a page makes from now on (before it joins; the library calls the global
 * constructor each time). A string, not a function: tsx would wrap a function in a `__name()` the page
 * lacks, which is also why the census of @confer/testing does not work in this script's pages.
 */
const COUNT_PEER_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  window.__benchPeerConnections = 0;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__benchPeerConnections += 1; }
  };
})()`;

async function peerConnectionsMade(participant: LabParticipant): Promise<number> {
  return Number(await pageOf(participant).evaluate('window.__benchPeerConnections'));
}

/** One lab, one server, Alice and Bob publishing to each other; `RUNS` faults of `scenario`, and the peer connections Alice's page made for each (0: healed by ICE restarts). */
async function measureScenario(scenario: Scenario, pagesDir: string): Promise<{ runs: RecoveryTimes[]; newConnections: number[] }> {
  const lab = await NetworkLab.create({ pagesDir });
  onCleanup(`lab ${lab.id}`, () => lab.close());
  try {
    const server = await lab.startServer(scenario.serverEnv ? { env: scenario.serverEnv } : {});
    const open = async (name: string) => {
      const host = await lab.addHost(name.toLowerCase());
      const browser = await launchLabChromium(host, { tempDir: lab.tempDir, pagesOrigin: server.pagesUrl });
      return lab.own(await ChromiumLabParticipant.open(host, browser, name, server.pageUrl(HARNESS_PATH)));
    };
    const [alice, bob] = await Promise.all([open('Alice'), open('Bob')]);
    await pageOf(alice).evaluate(COUNT_PEER_CONNECTIONS);
    const conferenceId = `bench-recovery-${Date.now().toString(36)}`;
    await alice.join(conferenceId);
    await bob.join(conferenceId);
    const published = await Promise.all([alice, bob].map(async (participant) => ({ participant, streamIds: [await participant.publish('CAM')] })));
    const pairs = pairsOf(published);
    await waitForMediaBack(pairs, 0, 30_000);

    const faulted = scenario.faultsEveryone ? [alice, bob] : [alice];
    const affected = pairsInvolving(pairs, faulted);
    const runs: RecoveryTimes[] = [];
    const newConnections: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const created = await peerConnectionsMade(alice);
      const { faultAt, restoreAt } = await scenario.inject(alice, lab);
      await waitForMediaBack(affected, restoreAt, BACK_TIMEOUT_MS);
      await waitForJoined([alice, bob], BACK_TIMEOUT_MS);
      const times = await measureRecovery({ pairs: affected, faulted, faultAt, restoreAt });
      newConnections.push((await peerConnectionsMade(alice)) - created);
      console.log(`${scenario.name}, run ${run}: ${describeRecovery(times)}; new peer connections at Alice: ${newConnections.at(-1)}`);
      runs.push(times);
      // Let the new connections settle (bitrate ramp, keyframes) before the next fault.
      await sleep(3_000);
    }
    await Promise.all([alice, bob].map((p) => p.leave()));
    return { runs, newConnections };
  } finally {
    await lab.close();
  }
}

/** A row over the runs; a run where it did not happen (e.g. the room never went `reconnecting` in a UDP drop) has no sample. */
function row(metric: string, samples: Array<number | undefined>, target?: string): BenchRow {
  const known = samples.filter((x): x is number => x !== undefined && Number.isFinite(x));
  const note = known.length < samples.length ? `${samples.length - known.length} of ${samples.length} runs: did not happen` : undefined;
  if (known.length === 0) return { metric, unit: 'ms', value: 'n/a', ...(target ? { target } : {}), note: 'did not happen' };
  return { metric, unit: 'ms', summary: summarize(known), ...(target ? { target } : {}), ...(note ? { note } : {}) };
}

const WANTED = process.env.BENCH_SCENARIOS?.split(',').map((part) => part.trim()).filter(Boolean);

// About 20 minutes on the 2-core reference machine (7 labs, 21 faults, 6 of them 100 s long).
runBenchmark('recovery', 1_800_000, async () => {
  const support = await NetworkLab.support();
  if (!support.ok) throw new Error(`the network lab cannot run here: ${support.reason}`);
  const pages = await buildAndServePages('');
  onCleanup('pages', () => pages.close());

  const rows: BenchRow[] = [];
  const raw: Record<string, RecoveryTimes[]> = {};
  const connections: Record<string, number[]> = {};
  for (const scenario of SCENARIOS.filter((s) => !WANTED || WANTED.some((part) => s.name.includes(part)))) {
    console.log(`\n[recovery] ${scenario.name}`);
    const { runs, newConnections } = await measureScenario(scenario, pages.dir);
    raw[scenario.name] = runs;
    connections[scenario.name] = newConnections;
    rows.push(
      row(`${scenario.name}: media gap`, runs.map((r) => r.mediaGapMs)),
      row('  fault → reconnecting (first of room, stream)', runs.map((r) => r.toReconnectingMs)),
      row('  fault → room reconnecting', runs.map((r) => r.toRoomReconnectingMs), scenario.reconnectingTarget),
      row('  fault → stream reconnecting', runs.map((r) => r.toStreamReconnectingMs)),
      row('  restore → media back at everyone', runs.map((r) => r.mediaBackMs), scenario.target),
      row('  restore → room joined', runs.map((r) => r.roomBackMs)),
      row('  restore → streams connected', runs.map((r) => r.streamsConnectedMs)),
      { metric: '  new peer connections at Alice (0: ICE restarts healed it)', unit: 'count', summary: summarize(newConnections) },
    );
  }
  // A subset is written beside the full run, not over it.
  const name = WANTED ? `recovery-${WANTED.join('-').replace(/[^a-z0-9]+/gi, '-')}` : 'recovery';
  report(name, rows, {
    ...runConditions(),
    setup: {
      runsPerScenario: RUNS,
      participants: 'Alice and Bob, Chromium, each on a lab host, each publishing a 320x240 15 fps camera; Alice takes the host faults',
      longOutageS: LONG_OUTAGE_S,
      longOutageServerEnv: LONG_OUTAGE_SERVER_ENV ?? 'the default ghost rule, 30 s SICK + 60 s',
      scenarios: WANTED ?? 'all',
      mediaGap: 'the longest pause (>= 500 ms between presented frames, requestVideoFrameCallback) of a video involving the faulted side',
    },
    runs: raw,
    newPeerConnectionsAtAlice: connections,
  });
});
