/**
 * Test harness: a real CNCF distribution registry (Debian `docker-registry`) as a child process,
 * plus push helpers that go through the distribution API only (blob upload, manifest PUT).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface LocalRegistry {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly url: string;
  stop(): Promise<void>;
}

const BINARY = 'docker-registry';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Starts `docker-registry serve`; throws (never skips) when the binary is missing. */
export async function startLocalRegistry(): Promise<LocalRegistry> {
  if (spawnSync('sh', ['-c', `command -v ${BINARY}`]).status !== 0) {
    throw new Error(
      `${BINARY} is not installed: run "apt-get install -y docker-registry" (Debian package, CNCF distribution); .ci/run installs it`,
    );
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'signer-registry-'));
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      '  delete:',
      '    enabled: false',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(BINARY, ['serve', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.status === 200) return { host: `127.0.0.1:${port}`, url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`docker-registry did not become ready: ${stderr}`);
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

async function pushBlob(registry: LocalRegistry, repo: string, bytes: Uint8Array): Promise<string> {
  const digest = `sha256:${sha256(bytes)}`;
  const start = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status}`);
  const location = new URL(start.headers.get('location') ?? '', registry.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status}`);
  return digest;
}

/** Pushes a config blob, a layer blob and an OCI image manifest; returns the manifest digest hex. */
export async function pushImage(
  registry: LocalRegistry,
  repo: string,
  tag: string,
): Promise<{ hex: string; bytes: Uint8Array }> {
  const config = new TextEncoder().encode(
    JSON.stringify({ architecture: 'amd64', os: 'linux', tag }),
  );
  const layer = new TextEncoder().encode(`layer for ${repo}:${tag}`);
  const configDigest = await pushBlob(registry, repo, config);
  const layerDigest = await pushBlob(registry, repo, layer);
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: layerDigest,
          size: layer.length,
        },
      ],
    }),
  );
  const put = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`manifest put: ${put.status} ${await put.text()}`);
  return { hex: sha256(manifest), bytes: manifest };
}
