/**
 * `npm run bench`: runs every benchmark, one child process at a time, each with a time budget. A
 * benchmark that overruns gets SIGTERM (its own cleanup closes browsers and servers), then SIGKILL;
 * afterwards any process still carrying this run's marker in its environment (a Chromium or server
 * whose parent was killed) is killed by pid. Exit code 1 when any benchmark failed or is missing.
 *
 *   npm run bench                       all of them
 *   npm run bench -- event-latency ...  only the named ones
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Every benchmark of issue 6, in order, with the wall-clock budget it may use. */
const BENCHMARKS = [
  { name: 'join-to-first-frame', file: 'join-to-first-frame.ts', budgetS: 255 },
  { name: 'publish-to-remote-frame', file: 'publish-to-remote-frame.ts', budgetS: 150 },
  { name: 'join-burst', file: 'join-burst.ts', budgetS: 180 },
  { name: 'event-latency', file: 'event-latency.ts', budgetS: 180 },
  { name: 'requests-per-call', file: 'requests-per-call.ts', budgetS: 150 },
  { name: 'bundle-size-comparison', file: 'bundle-compare.ts', budgetS: 60 },
  { name: 'server-control-plane', file: 'server-control-plane.ts', budgetS: 120 },
  { name: 'control-plane-stores', file: 'control-plane-stores.ts', budgetS: 500 },
  { name: 'fanout', file: 'fanout.ts', budgetS: 180 },
  { name: 'simulcast-forwarding', file: 'simulcast-forwarding.ts', budgetS: 240 },
  { name: 'crowded-room', file: 'crowded-room.ts', budgetS: 360 },
  { name: 'recovery', file: 'recovery.ts', budgetS: 1830 },
  { name: 'audio-loss', file: 'audio-loss.ts', budgetS: 435 },
  { name: 'cluster-recovery', file: 'cluster-recovery.ts', budgetS: 300 },
];

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const marker = `CONFER_BENCH_RUN=${process.pid}-${Date.now()}`;

/** Pids of processes (other than this one) whose environment carries this run's marker. */
function markedProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker)) pids.push(pid);
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

function run(file: string, budgetS: number): Promise<{ code: number | null; timedOut: boolean; seconds: number }> {
  const startedAt = performance.now();
  const [key, value] = marker.split('=') as [string, string];
  const child = spawn(process.execPath, ['--import', 'tsx', `${benchDir}${file}`], { stdio: 'inherit', env: { ...process.env, [key]: value } });
  let timedOut = false;
  const term = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, budgetS * 1000);
  const kill = setTimeout(() => child.kill('SIGKILL'), (budgetS + 15) * 1000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve({ code, timedOut, seconds: (performance.now() - startedAt) / 1000 });
    });
  });
}

const only = process.argv.slice(2);
const selected = only.length > 0 ? BENCHMARKS.filter((b) => only.includes(b.name)) : BENCHMARKS;
const outcomes: { name: string; outcome: string }[] = [];
const startedAt = performance.now();
for (const { name, file, budgetS } of selected) {
  if (!existsSync(`${benchDir}${file}`)) {
    console.error(`\n[bench] ${name}: bench/${file} does not exist yet`);
    outcomes.push({ name, outcome: 'missing' });
    continue;
  }
  console.log(`\n[bench] ${name} (budget ${budgetS} s)`);
  const { code, timedOut, seconds } = await run(file, budgetS);
  const leftovers = markedProcesses();
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (leftovers.length > 0) console.error(`[bench] ${name}: killed ${leftovers.length} leftover process(es): ${leftovers.join(', ')}`);
  outcomes.push({ name, outcome: timedOut ? `timed out after ${budgetS} s` : code === 0 ? `ok in ${seconds.toFixed(0)} s` : `failed (exit ${code})` });
}
console.log(`\n[bench] done in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
console.table(outcomes);
process.exitCode = outcomes.every((o) => o.outcome.startsWith('ok')) ? 0 : 1;
