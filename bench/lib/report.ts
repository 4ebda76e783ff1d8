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
      `| ${cell(m.bench)} | ${cell(m.metric)} | ${cell(m.value)} | ${cell(m.unit)} | ${cell(m.ratio_to_raw)} | ${cell(m.p50_ms)} | ${cell(m.p99_ms)} | ${cell(m.skipped === undefined ? '' : `skipped: ${m.skipped}`)} |`,
    );
  }
  if (report.failed.length > 0) lines.push('', `Failed benches: ${report.failed.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
