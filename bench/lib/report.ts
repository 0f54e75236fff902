import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Summary } from './stats.js';

/** One row of a benchmark table: a measured quantity, its unit and its summary (or a single value). */
export interface BenchRow {
  metric: string;
  unit: string;
  summary?: Summary;
  value?: number | string;
  target?: string;
  note?: string;
}

/** The machine a benchmark ran on, written beside every result. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

const fmt = (x: number | string | undefined) =>
  x === undefined ? '' : typeof x === 'string' ? x : Number.isInteger(x) ? String(x) : x.toFixed(1);

/** Prints the table and writes bench/results/<name>.json with machine info, medians, p95, min, max and run counts. */
export function report(name: string, rows: BenchRow[], extra: Record<string, unknown> = {}): void {
  const table = rows.map((r) => ({
    metric: r.metric,
    unit: r.unit,
    median: fmt(r.summary?.median ?? r.value),
    p95: fmt(r.summary?.p95),
    min: fmt(r.summary?.min),
    max: fmt(r.summary?.max),
    runs: fmt(r.summary?.n),
    target: r.target ?? '',
  }));
  console.log(`\n## ${name}`);
  console.table(table);
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const body = { name, date: new Date().toISOString(), machine: machineInfo(), rows, ...extra };
  writeFileSync(`${dir}${name}.json`, `${JSON.stringify(body, null, 2)}\n`);
}
