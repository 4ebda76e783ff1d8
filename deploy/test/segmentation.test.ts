import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

// Validates the deployment bundles without a container engine (none runs on these machines):
// the network layout they declare must keep the seed's zones apart.
const deployDir = path.resolve(import.meta.dirname, '..');
const STATEFUL = ['postgres', 'valkey'];
const FRONT = 'frontdoor';
/** Every service-to-service path the platform needs (from → to). */
const REQUIRED_PATHS: [string, string][] = [
  ['frontdoor', 'gateway'],
  ['gateway', 'authority'],
  ['gateway', 'signer'],
  ['gateway', 'attestor'],
  ['signer', 'attestor'],
  ['signer', 'authority'],
  ['authority', 'postgres'],
  ['attestor', 'postgres'],
  ['gateway', 'valkey'],
  ['authority', 'valkey'],
  ['signer', 'valkey'],
];

interface ComposeService {
  image: string;
  ports?: string[];
  networks: string[];
  environment?: Record<string, string>;
  secrets?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean } | null>;
  secrets: Record<string, { file?: string; environment?: string }>;
}

const compose = parse(
  readFileSync(path.join(deployDir, 'compose', 'docker-compose.yml'), 'utf8'),
) as Compose;

function sharesNetwork(a: string, b: string): boolean {
  const na = compose.services[a]!.networks;
  return compose.services[b]!.networks.some((n) => na.includes(n));
}

test('compose: only the front door publishes a port, and only 443', () => {
  for (const [name, svc] of Object.entries(compose.services)) {
    if (name === FRONT) assert.deepEqual(svc.ports, ['443:8443']);
    else assert.equal(svc.ports, undefined, `${name} must not publish ports`);
  }
});

test('compose: stateful services share no network with the front door', () => {
  for (const s of STATEFUL) assert.equal(sharesNetwork(FRONT, s), false, `${FRONT} can reach ${s}`);
  // and the front door reaches nothing but the gateway
  for (const name of Object.keys(compose.services)) {
    if (name === FRONT || name === 'gateway') continue;
    assert.equal(sharesNetwork(FRONT, name), false, `${FRONT} can reach ${name}`);
  }
});

test('compose: four zones, every network but the edge is internal', () => {
  assert.deepEqual(Object.keys(compose.networks).sort(), ['data', 'edge', 'gateway', 'services']);
  for (const n of ['gateway', 'services', 'data'])
    assert.equal(compose.networks[n]?.internal, true, n);
});

test('compose: every required path is reachable', () => {
  for (const [from, to] of REQUIRED_PATHS) assert.ok(sharesNetwork(from, to), `${from} → ${to}`);
});

test('compose: images pinned by digest, secrets only as Docker secrets', () => {
  for (const [name, svc] of Object.entries(compose.services)) {
    assert.match(svc.image, /@sha256:/, `${name} image not pinned by digest`);
    for (const [key, value] of Object.entries(svc.environment ?? {})) {
      if (/PASSWORD|SECRET|TOKEN|KEY|DATABASE_URL|VALKEY_URL/.test(key)) {
        assert.ok(/_FILE$|_REF$/.test(key), `${name}.${key} looks like an inline secret`);
        assert.match(
          value,
          /^(docker:|\/run\/secrets\/)/,
          `${name}.${key} must reference a secret`,
        );
      }
    }
  }
  for (const [name, secret] of Object.entries(compose.secrets)) {
    assert.ok(
      secret.file !== undefined,
      `secret ${name} must come from a file provisioned by the operator`,
    );
  }
});

// ---------------------------------------------------------------- Kubernetes

interface K8sDoc {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
  data?: unknown;
  stringData?: unknown;
}
const k8sDocs: K8sDoc[] = readdirSync(path.join(deployDir, 'kubernetes'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(path.join(deployDir, 'kubernetes', f), 'utf8')).map(
      (d) => d.toJS() as K8sDoc,
    ),
  );
type Selector = { matchLabels?: Record<string, string> };
const policies = k8sDocs.filter((d) => d.kind === 'NetworkPolicy');
const appOf = (sel: Selector | undefined) => sel?.matchLabels?.['app.kubernetes.io/name'];

function allowed(direction: 'egress' | 'ingress', from: string, to: string): boolean {
  return policies.some((p) => {
    const spec = p.spec as {
      podSelector: Selector;
      egress?: { to: { podSelector?: Selector }[] }[];
      ingress?: { from: { podSelector?: Selector; ipBlock?: unknown }[] }[];
    };
    if (direction === 'egress') {
      return (
        appOf(spec.podSelector) === from &&
        (spec.egress ?? []).some((r) => r.to.some((t) => appOf(t.podSelector) === to))
      );
    }
    return (
      appOf(spec.podSelector) === to &&
      (spec.ingress ?? []).some((r) => r.from.some((f) => appOf(f.podSelector) === from))
    );
  });
}

test('kubernetes: default deny for ingress and egress on every pod', () => {
  const deny = policies.find((p) => {
    const spec = p.spec as {
      podSelector: Selector;
      policyTypes: string[];
      ingress?: unknown;
      egress?: unknown;
    };
    return (
      Object.keys(spec.podSelector).length === 0 &&
      spec.ingress === undefined &&
      spec.egress === undefined
    );
  });
  assert.ok(deny, 'missing default-deny NetworkPolicy');
  assert.deepEqual([...(deny.spec.policyTypes as string[])].sort(), ['Egress', 'Ingress']);
});

test('kubernetes: every required path is allowed in both directions, and nothing reaches data from the front door', () => {
  for (const [from, to] of REQUIRED_PATHS) {
    assert.ok(allowed('egress', from, to), `egress ${from} → ${to}`);
    assert.ok(allowed('ingress', from, to), `ingress ${from} → ${to}`);
  }
  for (const s of STATEFUL) {
    assert.equal(allowed('ingress', FRONT, s), false);
    assert.equal(allowed('egress', FRONT, s), false);
  }
  // Every allow rule names a path from the list (no undeclared paths).
  const declared = new Set(REQUIRED_PATHS.map(([a, b]) => `${a}>${b}`));
  for (const p of policies) {
    const spec = p.spec as {
      podSelector: Selector;
      egress?: { to: { podSelector?: Selector }[] }[];
      ingress?: { from: { podSelector?: Selector; ipBlock?: { cidr: string } }[] }[];
    };
    for (const r of spec.egress ?? [])
      for (const t of r.to as { podSelector?: Selector; namespaceSelector?: Selector }[])
        // DNS egress to kube-system is the one rule that leaves the namespace.
        if (t.podSelector && !t.namespaceSelector)
          assert.ok(
            declared.has(`${appOf(spec.podSelector)}>${appOf(t.podSelector)}`),
            p.metadata.name,
          );
    for (const r of spec.ingress ?? [])
      for (const f of r.from) {
        if (f.ipBlock)
          assert.equal(
            appOf(spec.podSelector),
            FRONT,
            `${p.metadata.name}: only the front door accepts outside traffic`,
          );
        if (f.podSelector)
          assert.ok(
            declared.has(`${appOf(f.podSelector)}>${appOf(spec.podSelector)}`),
            p.metadata.name,
          );
      }
  }
});

test('kubernetes: only the front door is exposed; containers non-root and read-only; no inline secrets', () => {
  for (const d of k8sDocs) {
    if (d.kind === 'Service') {
      const type = (d.spec.type as string | undefined) ?? 'ClusterIP';
      if (d.metadata.name === FRONT) assert.equal(type, 'LoadBalancer');
      else assert.equal(type, 'ClusterIP', `${d.metadata.name} must not be exposed`);
    }
    if (d.kind === 'Secret')
      assert.equal(d.data ?? d.stringData, undefined, 'secret values must not be in the bundle');
    if (d.kind === 'Deployment' || d.kind === 'StatefulSet') {
      const pod = (
        d.spec.template as {
          spec: {
            securityContext: { runAsNonRoot: boolean };
            containers: {
              image: string;
              securityContext: {
                readOnlyRootFilesystem: boolean;
                allowPrivilegeEscalation: boolean;
              };
            }[];
          };
        }
      ).spec;
      assert.equal(pod.securityContext.runAsNonRoot, true, d.metadata.name);
      for (const c of pod.containers) {
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, d.metadata.name);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, d.metadata.name);
        assert.match(c.image, /@sha256:/);
      }
    }
  }
});

test('no file under deploy/ contains key material or a credential', () => {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const full = path.join(dir, f);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  for (const file of walk(deployDir)) {
    if (file.endsWith('.test.ts')) continue;
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, file);
    assert.doesNotMatch(
      text,
      /postgres(ql)?:\/\/[^\s:@]+:[^\s@]+@/,
      `${file}: credentials in a URL`,
    );
  }
});
