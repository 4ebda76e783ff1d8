/**
 * Fakes implementing the real ports (CONVENTIONS.md "Fakes over mocks"): an audit sink that
 * keeps events in memory and a logger that keeps lines, plus a KV whose every call fails (to
 * prove fail-closed rate limiting).
 */
import type { AuditEvent, AuditSink, KeyValueStore, Logger } from '@stella/core';

export function createMemoryAudit(): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return {
    events,
    append: (event) => {
      events.push(event);
      return Promise.resolve();
    },
  };
}

export interface LogLine {
  level: string;
  msg: string | undefined;
  [key: string]: unknown;
}

export function createMemoryLogger(
  lines: LogLine[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { lines: LogLine[] } {
  const write = (level: string) => (obj: Record<string, unknown>, msg?: string) => {
    lines.push({ ...bindings, ...obj, level, msg });
  };
  return {
    lines,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (b) => createMemoryLogger(lines, { ...bindings, ...b }),
  };
}

export function createBrokenKv(): KeyValueStore {
  const down = () => Promise.reject(new Error('kv down'));
  return {
    get: down,
    setIfAbsent: down,
    incrWithTtl: down,
    del: down,
    close: () => Promise.resolve(),
  };
}
