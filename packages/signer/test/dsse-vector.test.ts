import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { pae, signEnvelope, createSigningKey, generateSigningKey } from '@stella/crypto';
import { buildStatementPayload } from '../src/build-statement.ts';
import { validateSignRequest } from '../src/sign-request.ts';

describe('DSSE / in-toto as the signer uses them', () => {
  it('PAE matches the DSSE protocol.md example', () => {
    // secure-systems-lab/dsse protocol.md: PAE("http://example.com/HelloWorld", "hello world")
    assert.equal(
      Buffer.from(
        pae('http://example.com/HelloWorld', new TextEncoder().encode('hello world')),
      ).toString(),
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('statement payload is canonical, drops content/source and verifies independently', async () => {
    const hex = 'ab'.repeat(32);
    const request = validateSignRequest(
      {
        subject: [
          {
            name: 'z',
            digest: { sha256: 'cd'.repeat(32) },
            source: `evidence:sha256:${'cd'.repeat(32)}`,
          },
          { name: 'a', digest: { sha256: hex }, content: 'aGk=' },
        ],
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: { b: 1, a: [true, null] },
        attest: false,
      },
      { maxSubjects: 4 },
    );
    const payload = buildStatementPayload(request);
    assert.equal(
      new TextDecoder().decode(payload),
      `{"_type":"https://in-toto.io/Statement/v1","predicate":{"a":[true,null],"b":1},"predicateType":"https://slsa.dev/provenance/v1","subject":[{"digest":{"sha256":"${hex}"},"name":"a"},{"digest":{"sha256":"${'cd'.repeat(32)}"},"name":"z"}]}`,
    );
    const { privateKey, publicKey } = generateSigningKey();
    const env = await signEnvelope('application/vnd.in-toto+json', payload, [
      createSigningKey(privateKey),
    ]);
    const message = Buffer.concat([
      Buffer.from(`DSSEv1 28 application/vnd.in-toto+json ${payload.length} `),
      Buffer.from(payload),
    ]);
    assert.equal(
      verify(null, message, publicKey, Buffer.from(env.signatures[0]!.sig, 'base64')),
      true,
    );
    message.writeUInt8(message.readUInt8(message.length - 1) ^ 1, message.length - 1);
    assert.equal(
      verify(null, message, publicKey, Buffer.from(env.signatures[0]!.sig, 'base64')),
      false,
    );
  });
});
