/** Renders collected measurements as the Markdown table in `bench/results/latest.md`. */
import type { Measurement } from './emit.ts';

export interface BenchReport {
  readonly generatedAt: string;
  readonly node: string;
  readonly failed: readonly string[];
  readonly measurements: readonly Measurement[];
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value).replaceAll('|', '\\|');
}

/** Fields shown in their own columns; every other extra field goes into the note. */
const COLUMNS = new Set(['bench', 'metric', 'value', 'unit', 'ratio_to_raw', 'p50_ms', 'p99_ms']);
const QUIET = new Set(['ops', 'errors', 'duration_ms']);

function note(m: Measurement): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(m)) {
    if (COLUMNS.has(key) || QUIET.has(key) || value === undefined) continue;
    parts.push(key === 'skipped' ? `skipped: ${String(value)}` : `${key}=${String(value)}`);
  }
  if (typeof m['errors'] === 'number' && m['errors'] > 0) parts.push(`errors=${m['errors']}`);
  return parts.join(', ');
}

export function renderMarkdown(report: BenchReport): string {
  const lines = [
    '# Bench results',
    '',
    `Generated ${report.generatedAt} on Node ${report.node}.`,
    '',
    '| bench | metric | value | unit | ratio to raw | p50 ms | p99 ms | note |',
    '|---|---|---:|---|---:|---:|---:|---|',
  ];
  for (const m of report.measurements) {
    lines.push(
      `| ${cell(m.bench)} | ${cell(m.metric)} | ${cell(m.value)} | ${cell(m.unit)} | ${cell(m.ratio_to_raw)} | ${cell(m.p50_ms)} | ${cell(m.p99_ms)} | ${cell(note(m))} |`,
    );
  }
  if (report.failed.length > 0) lines.push('', `Failed benches: ${report.failed.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
