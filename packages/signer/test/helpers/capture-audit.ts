import type { AuditEvent, AuditSink } from '@stella/core';

/** An AuditSink fake that keeps events in memory (implements the port; tests read `events`). */
export function createCapturingAuditSink(): AuditSink & { readonly events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return {
    events,
    append: async (event) => {
      events.push(structuredClone(event));
    },
  };
}
