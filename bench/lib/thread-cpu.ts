/**
 * CPU time of the CALLING thread (µs), for benches whose load generator is a worker thread in
 * the measured process: process CPU minus the load thread's own CPU is the service's share.
 * Linux only (`/proc/thread-self/stat`, utime + stime in USER_HZ = 100 ticks/s, so 10 ms
 * resolution: use windows of seconds); undefined elsewhere so callers can report "skipped".
 */
import { readFileSync } from 'node:fs';

const USER_HZ = 100; // /proc reports clock ticks in USER_HZ, fixed at 100 on Linux

export function threadCpuUs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the `(comm)` (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1_000_000) / USER_HZ;
}

/** Process-wide CPU time (µs), every thread. */
export function processCpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
