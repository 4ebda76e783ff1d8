/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes: `nodes` with `callFrame` and
 * `hitCount`, plus `samples`/`timeDeltas`) and aggregates SELF time by function and by file, so
 * the top non-crypto costs of a hot path are visible without a GUI.
 *
 *   node --import tsx bench/lib/cpuprofile-top.ts <file.cpuprofile> [topN] [--files] [--callers <functionName>]
 *
 * Self time per sample is the delta to the next sample (how DevTools attributes it); `(idle)` is
 * reported apart and excluded from the percentages, which are of busy time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface SelfTimeRow {
  readonly key: string;
  readonly selfUs: number;
  /** Share of busy (non-idle) time, 0..1. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly busyUs: number;
  readonly idleUs: number;
  readonly byFunction: readonly SelfTimeRow[];
  readonly byFile: readonly SelfTimeRow[];
}

/** Shortens `file:///…/node_modules/x/y.js` to `x/y.js` and repo files to their repo path. */
export function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('/node_modules/');
  if (nm !== -1) return clean.slice(nm + '/node_modules/'.length);
  const pkg = clean.indexOf('/packages/');
  if (pkg !== -1) return clean.slice(pkg + 1);
  return clean.startsWith('node:') ? clean : path.basename(clean);
}

function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (samples !== undefined && timeDeltas !== undefined && samples.length === timeDeltas.length) {
    for (let i = 0; i < samples.length; i += 1) {
      // The interval after sample i belongs to it (the next delta); the last one gets its own.
      const dt = timeDeltas[i + 1] ?? timeDeltas[i] ?? 0;
      const id = samples[i] as number;
      self.set(id, (self.get(id) ?? 0) + Math.max(0, dt));
    }
    return self;
  }
  const hits = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const perHit = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
  for (const node of profile.nodes) self.set(node.id, (node.hitCount ?? 0) * perHit);
  return self;
}

function top(map: Map<string, number>, busyUs: number): SelfTimeRow[] {
  return [...map.entries()]
    .map(([key, selfUs]) => ({ key, selfUs, share: busyUs > 0 ? selfUs / busyUs : 0 }))
    .sort((a, b) => b.selfUs - a.selfUs);
}

export function summarizeCpuProfile(profile: CpuProfile): ProfileSummary {
  const self = selfTimes(profile);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const file = shortUrl(url);
    const fn = `${functionName === '' ? '(anonymous)' : functionName} ${file}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  return { busyUs, idleUs, byFunction: top(byFunction, busyUs), byFile: top(byFile, busyUs) };
}

/**
 * Self time of every frame named `functionName`, split by the chain of its `depth` nearest
 * callers (to tell apart e.g. a native `run` under a DPoP verify from one under a signature).
 */
export function callersOf(profile: CpuProfile, functionName: string, depth = 3): SelfTimeRow[] {
  const self = selfTimes(profile);
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node);
  }
  const rows = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    if (node.callFrame.functionName !== functionName) continue;
    const us = self.get(node.id) ?? 0;
    const chain: string[] = [];
    for (let p = parent.get(node.id); p !== undefined && chain.length < depth;) {
      chain.push(`${p.callFrame.functionName || '(anonymous)'} ${shortUrl(p.callFrame.url)}`);
      p = parent.get(p.id);
    }
    const key = chain.join(' < ');
    rows.set(key, (rows.get(key) ?? 0) + us);
    total += us;
  }
  return top(rows, total);
}

export function formatRows(rows: readonly SelfTimeRow[], n: number): string {
  return rows
    .slice(0, n)
    .map(
      (r) =>
        `${(r.share * 100).toFixed(1).padStart(5)}%  ${(r.selfUs / 1000).toFixed(1).padStart(9)} ms  ${r.key}`,
    )
    .join('\n');
}

function main(argv: readonly string[]): void {
  const file = argv[0];
  if (file === undefined) {
    process.stderr.write(
      'usage: cpuprofile-top.ts <file.cpuprofile> [topN] [--files] [--callers <name>]\n',
    );
    process.exitCode = 2;
    return;
  }
  const n = Number(argv[1] ?? '30') || 30;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const callers = argv.indexOf('--callers');
  if (callers !== -1 && argv[callers + 1] !== undefined) {
    const name = argv[callers + 1] as string;
    process.stdout.write(`-- callers of ${name} --\n${formatRows(callersOf(profile, name), n)}\n`);
    return;
  }
  const summary = summarizeCpuProfile(profile);
  const out = [
    `busy ${(summary.busyUs / 1000).toFixed(0)} ms, idle ${(summary.idleUs / 1000).toFixed(0)} ms`,
    `-- top ${n} self time by function --`,
    formatRows(summary.byFunction, n),
  ];
  if (argv.includes('--files')) out.push(`-- by file --`, formatRows(summary.byFile, n));
  process.stdout.write(`${out.join('\n')}\n`);
}

if (process.argv[1] !== undefined && import.meta.filename === path.resolve(process.argv[1])) {
  main(process.argv.slice(2));
}
