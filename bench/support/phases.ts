import type { BenchRow } from '../lib/report.js';
import { summarize } from '../lib/stats.js';

/** One run's time stamps in the order they happen, e.g. `[['start', t0], ['token', t1], ...]`. */
export type Timeline = [name: string, at: number][];

/**
 * Turns runs of time stamps into one table row per phase (each phase is the time since the
 * previous stamp) plus a total row; NaN stamps (a step that did not happen) are skipped.
 */
export function phaseRows(runs: Timeline[], totalTarget?: string, label = ''): BenchRow[] {
  const first = runs[0];
  if (!first) return [];
  const rows: BenchRow[] = [];
  for (let i = 1; i < first.length; i++) {
    const name = first[i]![0];
    const samples = runs.map((run) => run[i]![1] - run[i - 1]![1]).filter(Number.isFinite);
    if (samples.length > 0) rows.push({ metric: `  ${label}${name}`, unit: 'ms', summary: summarize(samples) });
  }
  const totals = runs.map((run) => run[run.length - 1]![1] - run[0]![1]).filter(Number.isFinite);
  rows.push({ metric: `${label}total`, unit: 'ms', summary: summarize(totals), ...(totalTarget ? { target: totalTarget } : {}) });
  return rows;
}
