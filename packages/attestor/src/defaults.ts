/**
 * Attestor defaults (service contract: every option documented where defined). Deep-frozen.
 */
export interface AttestorOptions {
  /** Checkpoint origin prefix; a tenant's log origin is `<logPrefix>/<tenant>` (C2SP tlog-checkpoint). */
  readonly logPrefix: string;
  /** Sequencer: maximum entries integrated in one transaction (count). */
  readonly maxBatch: number;
  /** Sequencer: longest a submission waits for its batch to start (milliseconds). */
  readonly batchDelayMs: number;
  /** Largest accepted DSSE envelope on `POST /api/v1/attestor/entries` (bytes). */
  readonly maxEnvelopeBytes: number;
  /** Largest evidence object on `PUT /api/v1/evidence` (bytes). */
  readonly maxEvidenceBytes: number;
  /** Page size of `GET /api/v1/attestor/entries?subject=` (entries). */
  readonly pageSize: number;
}

export const attestorDefaults: AttestorOptions = Object.freeze({
  logPrefix: 'stellaops.local/tlog',
  maxBatch: 256,
  batchDelayMs: 5,
  maxEnvelopeBytes: 1024 * 1024,
  maxEvidenceBytes: 64 * 1024 * 1024,
  pageSize: 50,
});
