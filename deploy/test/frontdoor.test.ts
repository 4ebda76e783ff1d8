import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';

// Runs Debian's nginx + ModSecurity + OWASP CRS (deploy/nginx/) in front of a real `stella up`
// and sends traffic through it: the front door must pass normal requests, block SQL injection
// and XSS in the query, set HSTS once, and never let a client-supplied identity header count.
const root = path.resolve(import.meta.dirname, '..', '..');
const MODSEC_MODULE = '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so';
const INSTALL =
  'apt-get install -y nginx libnginx-mod-http-modsecurity modsecurity-crs gettext-base';
const PORT_VARS = [
  'STELLA_GATEWAY_PORT',
  'STELLA_AUTHORITY_PORT',
  'STELLA_SIGNER_PORT',
  'STELLA_ATTESTOR_PORT',
];

interface Ready {
  gateway: string;
  caFile: string;
  dataDir: string;
}

let work = '';
let platform: ChildProcess | undefined;
let nginx: ChildProcess | undefined;
let frontDoor = '';
let agent: Agent | undefined;
let nginxPrefix = '';

function client(): Agent {
  if (agent === undefined) throw new Error('front door not started');
  return agent;
}

/** Missing prerequisites fail the suite (never skip): the front door is part of the deliverable. */
function requirePrerequisites(): void {
  const missing: string[] = [];
  if (spawnSync('nginx', ['-v']).error) missing.push('nginx');
  if (!existsSync(MODSEC_MODULE)) missing.push('libnginx-mod-http-modsecurity');
  if (!existsSync('/usr/share/modsecurity-crs/rules')) missing.push('modsecurity-crs');
  if (spawnSync('envsubst', ['--version']).error) missing.push('gettext-base (envsubst)');
  if (missing.length > 0) {
    throw new Error(`front-door test needs ${missing.join(', ')}: run \`${INSTALL}\``);
  }
}

/** `stella up` refuses unknown STELLA_* variables: pass on only the four port variables. */
function platformEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STELLA_')) env[k] = v;
  for (const k of PORT_VARS) env[k] = '0';
  return env;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Resolves with the one JSON ready line; rejects with the stderr tail if the child exits. */
function waitForReady(child: ChildProcess): Promise<Ready> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"event":"ready"'));
      if (line !== undefined) resolve(JSON.parse(line) as Ready);
    });
    child.once('exit', (code) => reject(new Error(`stella up exited (${code}): ${err}`)));
  });
}

/** nginx answers once it listens; poll until the TLS handshake and a response succeed. */
async function waitForFrontDoor(child: ChildProcess, errorLog: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) {
      const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
      throw new Error(`nginx exited (${child.exitCode}): ${log.slice(-2000)}`);
    }
    try {
      const res = await request(`${frontDoor}/jwks`, { dispatcher: client() });
      await res.body.dump();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('nginx front door did not answer');
}

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

before(async () => {
  requirePrerequisites();
  work = mkdtempSync(path.join(tmpdir(), 'stella-frontdoor-'));
  platform = spawn(
    process.execPath,
    [path.join(root, 'packages/cli/bin/stella.mjs'), 'up', '--json', '--data-dir', `${work}/data`],
    { cwd: root, env: platformEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const ready = await waitForReady(platform);
  const prefix = path.join(work, 'nginx');
  nginxPrefix = prefix;
  const listen = `127.0.0.1:${await freePort()}`;
  const pki = path.join(ready.dataDir, 'pki');
  const render = spawnSync(
    path.join(root, 'deploy/nginx/render.sh'),
    [
      prefix,
      listen,
      path.join(pki, 'gateway.pem'),
      path.join(pki, 'gateway-key.pem'),
      new URL(ready.gateway).host,
      ready.caFile,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(render.status, 0, `render.sh failed: ${render.stderr}`);
  const errorLog = path.join(prefix, 'error.log');
  // -e: nginx >= 1.19.5 otherwise opens /var/log/nginx/error.log before reading the config.
  nginx = spawn(
    'nginx',
    ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', errorLog, '-g', 'daemon off;'],
    { stdio: 'ignore' },
  );
  frontDoor = `https://${listen}`;
  agent = new Agent({ connect: { ca: readFileSync(ready.caFile, 'utf8') } });
  await waitForFrontDoor(nginx, errorLog);
});

after(async () => {
  await agent?.close();
  await stop(nginx, 'SIGQUIT');
  await stop(platform, 'SIGTERM');
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

async function get(pathAndQuery: string, headers: Record<string, string> = {}) {
  const res = await request(`${frontDoor}${pathAndQuery}`, { dispatcher: client(), headers });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body };
}

test('a normal request passes through the WAF to the Authority behind the gateway', async () => {
  const res = await get('/.well-known/oauth-authorization-server');
  assert.equal(res.status, 200, res.body);
  assert.equal(res.headers['server'], 'nginx', 'answered by the front door');
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const metadata = JSON.parse(res.body) as { issuer?: unknown; jwks_uri?: unknown };
  assert.equal(typeof metadata.issuer, 'string');
  assert.equal(typeof metadata.jwks_uri, 'string');
  assert.ok(res.headers['x-correlation-id'], 'the gateway handled it');
});

test('HSTS is set exactly once, by the front door', async () => {
  const res = await get('/jwks');
  assert.equal(res.status, 200);
  assert.equal(res.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains');
});

test('SQL injection in the query is blocked by the OWASP CRS with 403', async () => {
  const res = await get(`/jwks?id=${encodeURIComponent("1' OR '1'='1")}`);
  assert.equal(res.status, 403);
  assert.equal(res.headers['x-correlation-id'], undefined, 'never reached the gateway');
});

test('XSS in the query is blocked by the OWASP CRS with 403', async () => {
  const res = await get(`/jwks?q=${encodeURIComponent('<script>alert(1)</script>')}`);
  assert.equal(res.status, 403);
  assert.equal(res.headers['x-correlation-id'], undefined, 'never reached the gateway');
});

test('a spoofed X-StellaOps-Identity header neither breaks nor authenticates a request', async () => {
  const spoof = { 'x-stellaops-identity': 'eyJhbGciOiJub25lIn0.eyJ0ZW5hbnQiOiJkZWZhdWx0In0.' };
  const open = await get('/jwks', spoof);
  assert.equal(open.status, 200, open.body);
  const digest = `sha256:${'0'.repeat(64)}`;
  const guarded = await get(`/api/v1/evidence/${digest}`, spoof);
  assert.equal(guarded.status, 401, guarded.body);
  assert.match(String(guarded.headers['www-authenticate']), /^(DPoP|Bearer)/);
});

test('credentials are no rule targets: attack-shaped ones reach the platform and no log', async () => {
  const marker = `<script>alert('${randomUUID()}')</script>`;
  const bearer = await get(`/api/v1/evidence/sha256:${'0'.repeat(64)}`, {
    authorization: `Bearer ${marker}`,
    dpop: marker,
  });
  assert.notEqual(bearer.status, 403, 'the WAF did not judge the credential');
  assert.ok(bearer.headers['x-correlation-id'], 'the gateway answered');
  const res = await request(`${frontDoor}/token`, {
    dispatcher: client(),
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: marker,
    }).toString(),
  });
  await res.body.dump();
  assert.notEqual(res.statusCode, 403, 'the WAF did not judge the assertion');
  for (const log of ['modsec_audit.log', 'error.log']) {
    const file = path.join(nginxPrefix, log);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    assert.equal(text.includes(marker.slice(8, 40)), false, `${log} holds a credential`);
  }
});

test('binary evidence uploads reach the gateway; an injection in their query does not', async () => {
  // Opaque bytes that happen to contain request-smuggling text (CRS 921110 would match it).
  const bytes = Buffer.concat([Buffer.from([0, 1, 2, 255]), Buffer.from('GET /x HTTP/1.1\r\n')]);
  const put = async (query: string) => {
    const res = await request(`${frontDoor}/api/v1/evidence${query}`, {
      dispatcher: client(),
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    await res.body.dump();
    return res;
  };
  const plain = await put('');
  assert.equal(plain.statusCode, 401, 'passed the WAF, refused by the gateway (no token)');
  assert.ok(plain.headers['x-correlation-id']);
  const injected = await put(`?id=${encodeURIComponent("1' OR '1'='1")}`);
  assert.equal(injected.statusCode, 403);
});
