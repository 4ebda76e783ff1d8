export { clientCertHeader, clientUri, createTestCa, serviceUri } from './test-pki.ts';
export type { LeafOptions, TestCa, TestCaOptions, TestCertificate } from './test-pki.ts';
