import { readFileSync } from 'node:fs';

/** Linux reports process CPU time in clock ticks; 100 per second on every mainstream kernel config. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, ms) a process has used so far, read from /proc/<pid>/stat. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** Resident memory of a process in MiB, from /proc/<pid>/status. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** Starts measuring CPU of some processes; `stop()` answers the CPU used meanwhile as % of one core. */
export function measureCpu(pids: number[]): { stop(): number } {
  const startedAt = performance.now();
  const before = pids.map(cpuTimeMs);
  return {
    stop() {
      const elapsed = performance.now() - startedAt;
      const used = pids.reduce((sum, pid, i) => sum + cpuTimeMs(pid) - before[i]!, 0);
      return (100 * used) / elapsed;
    },
  };
}
