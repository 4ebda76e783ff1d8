// @peculiar/x509 v2 resolves its services through tsyringe, which needs the Reflect metadata
// polyfill loaded first; this module is the only place the CLI imports x509 from.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export { x509 };
