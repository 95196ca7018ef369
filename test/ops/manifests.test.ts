import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, loadConfig, type EnvVar } from '../../src/config/index.js';
import { validatePolicyFiles } from '../../src/policy/validate-policy-files.js';
import { findKustomizations, kustomizeReferences, referenceExists, rel } from './support/kustomize-tree.js';
import { readYamlDocuments } from './support/read-yaml-documents.js';
import { REPO_ROOT } from './support/repo-root.js';
import { validateK8sObject, type K8sObject } from './support/validate-k8s-object.js';

const ROOT = join(REPO_ROOT, 'manifests');
const kustomizations = findKustomizations(ROOT);
const references = kustomizeReferences(kustomizations);
const resourceFiles = references
  .filter((r) => r.role === 'resource' && referenceExists(r) && !statSync(r.path).isDirectory())
  .map((r) => r.path);
const objects: { file: string; object: K8sObject }[] = resourceFiles.flatMap((file) =>
  readYamlDocuments(file).map((object) => ({ file: rel(ROOT, file), object: object as K8sObject })),
);
const find = (kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.object.kind === kind && o.object.metadata?.name === name)?.object;
  if (found === undefined) throw new Error(`no ${kind}/${name} in manifests/`);
  return found;
};

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: {
    name: string;
    emptyDir?: object;
    secret?: { secretName: string };
    configMap?: { name: string };
  }[];
}
interface Workload {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}
const workload = (kind: string, name: string) => find(kind, name).spec as Workload;
const workloads = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.object.kind));
const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('manifests/', () => {
  it('has a base, the redis component and the example overlay', () => {
    expect([...kustomizations.keys()].map((k) => rel(ROOT, k)).sort()).toEqual([
      'base/kustomization.yaml',
      'components/redis/kustomization.yaml',
      'overlays/example/kustomization.yaml',
    ]);
    expect(kustomizations.get(join(ROOT, 'components/redis/kustomization.yaml'))?.kind).toBe('Component');
  });

  it('lists in its kustomizations only resources, components, patches and files that exist', () => {
    expect(references.length).toBeGreaterThan(15);
    const missing = references
      .filter((r) => !referenceExists(r))
      .map((r) => `${rel(ROOT, r.from)} → ${rel(ROOT, r.path)}`);
    expect(missing).toEqual([]);
  });

  it('leaves no manifest file that no kustomization uses', () => {
    const used = new Set([...kustomizations.keys(), ...references.map((r) => r.path)]);
    const yamlFiles = readdirSync(ROOT, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(ROOT, f));
    expect(yamlFiles.filter((f) => !used.has(f)).map((f) => rel(ROOT, f))).toEqual([]);
  });

  it('holds only objects that their Kubernetes schemas accept', async () => {
    expect(objects.length).toBeGreaterThanOrEqual(15);
    const problems = await Promise.all(objects.map(({ object }) => validateK8sObject(object)));
    expect(problems.flat()).toEqual([]);
  });

  it('generates ConfigMaps that their schema accepts, from files that exist', async () => {
    const generated = [...kustomizations].flatMap(([file, k]) =>
      (k.configMapGenerator ?? []).map((g) => {
        const entries = [
          ...(g.literals ?? []).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
          ...(g.files ?? []).map((f) => [basename(f), readFileSync(join(dirname(file), f), 'utf8')]),
        ];
        return {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: g.name },
          data: Object.fromEntries(entries),
        };
      }),
    );
    expect(generated.map((g) => g.metadata.name).sort()).toEqual([
      'promobot-env',
      'promobot-env',
      'promobot-policies',
      'promobot-policies',
    ]);
    const problems = await Promise.all(generated.map((g) => validateK8sObject(g)));
    expect(problems.flat()).toEqual([]);
  });

  it('would report an object its schema refuses, so the check has teeth', async () => {
    const broken = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: { replicas: 'two' },
    };
    expect(await validateK8sObject(broken)).toEqual([expect.stringMatching(/^Deployment\/x: .*replicas/)]);
    expect(await validateK8sObject({ apiVersion: 'example.com/v1', kind: 'Widget' })).toHaveLength(1);
  });

  it('carries no secret value: no Secret object and no secretGenerator', () => {
    expect(objects.filter((o) => o.object.kind === 'Secret')).toEqual([]);
    for (const [file, k] of kustomizations) expect(k.secretGenerator, rel(ROOT, file)).toBeUndefined();
  });

  it('ships policies that pass the same validation as `promobot validate`', () => {
    const files = references
      .filter((r) => r.role === 'generator-file' && r.path.includes('/policies/'))
      .map((r) => ({ path: rel(ROOT, r.path), text: readFileSync(r.path, 'utf8') }));
    expect(files).toHaveLength(2);
    for (const file of files) expect(validatePolicyFiles([file]).problems).toEqual([]);
  });
});

describe('manifests/base', () => {
  it('runs serve with two replicas, and a worker, from the promobot image with the right command', () => {
    const serve = workload('Deployment', 'promobot-serve');
    const worker = workload('Deployment', 'promobot-worker');
    expect(serve.replicas).toBe(2);
    expect(worker.replicas).toBeGreaterThanOrEqual(1);
    expect(serve.template.spec.containers[0]?.args).toEqual(['serve']);
    expect(worker.template.spec.containers[0]?.args).toEqual(['worker']);
  });

  it('probes serve and worker: liveness on /healthz and readiness on /readyz of a declared port', () => {
    for (const name of ['promobot-serve', 'promobot-worker']) {
      const [container] = workload('Deployment', name).template.spec.containers;
      const ports = (container?.ports ?? []).map((p) => p.name);
      expect(container?.livenessProbe?.httpGet?.path, name).toBe('/healthz');
      expect(container?.readinessProbe?.httpGet?.path, name).toBe('/readyz');
      expect(ports, name).toContain(container?.livenessProbe?.httpGet?.port);
      expect(ports, name).toContain(container?.readinessProbe?.httpGet?.port);
    }
  });

  it('gives every container resource requests and a memory limit', () => {
    for (const { object } of workloads) {
      for (const c of (object.spec as Workload).template.spec.containers) {
        expect(c.resources?.requests, `${object.metadata?.name}/${c.name}`).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        });
        expect(c.resources?.limits?.memory, `${object.metadata?.name}/${c.name}`).toBeDefined();
      }
    }
  });

  it('runs every container as non-root on a read-only root filesystem, writing only to volumes', () => {
    for (const { object } of workloads) {
      const spec = (object.spec as Workload).template.spec;
      expect(spec.securityContext?.runAsNonRoot, object.metadata?.name).toBe(true);
      expect(spec.securityContext?.runAsUser).toBeGreaterThan(0);
      for (const c of spec.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
    for (const name of ['promobot-serve', 'promobot-worker']) {
      const spec = workload('Deployment', name).template.spec;
      const emptyDirs = new Set((spec.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
      const writable = (spec.containers[0]?.volumeMounts ?? [])
        .filter((m) => emptyDirs.has(m.name))
        .map((m) => m.mountPath);
      // The data dir of the image (PROMOBOT_DATA_DIR, HOME) and /tmp.
      expect(writable.sort(), name).toEqual(['/tmp', '/var/lib/promobot']);
    }
  });

  it('sets only variables promobot reads, and secrets only through secretKeyRef or files of a Secret volume', () => {
    const vars = ENV_VARS as readonly EnvVar[];
    const secretVars = new Set(vars.filter((v) => v.secret).map((v) => v.name));
    const known = new Set([...vars.map((v) => v.name), ...[...secretVars].map((n) => `${n}_FILE`)]);
    for (const name of ['promobot-serve', 'promobot-worker']) {
      const spec = workload('Deployment', name).template.spec;
      const secretMounts = (spec.containers[0]?.volumeMounts ?? [])
        .filter((m) => spec.volumes?.find((v) => v.name === m.name)?.secret)
        .map((m) => m.mountPath);
      for (const env of spec.containers[0]?.env ?? []) {
        expect(known.has(env.name), `${name}: ${env.name}`).toBe(true);
        if (secretVars.has(env.name))
          expect(env.valueFrom?.secretKeyRef, `${name}: ${env.name}`).toBeDefined();
        if (env.name.endsWith('_FILE')) {
          expect(
            secretMounts.some((m) => env.value?.startsWith(`${m}/`)),
            `${name}: ${env.name}`,
          ).toBe(true);
        }
      }
    }
    const generated = [...kustomizations.values()]
      .flatMap((k) => k.configMapGenerator ?? [])
      .flatMap((g) => g.literals ?? [])
      .map((l) => l.split('=')[0] ?? '');
    expect(generated.filter((n) => !known.has(n) || secretVars.has(n))).toEqual([]);
  });

  it("gives serve and worker a configuration promobot's own loader accepts, in the example overlay", () => {
    const literals = (file: string) =>
      (kustomizations.get(join(ROOT, file))?.configMapGenerator ?? [])
        .filter((g) => g.name === 'promobot-env')
        .flatMap((g) => g.literals ?? [])
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
    // envFrom the generated ConfigMap (the overlay merges over the base), then the container's own env.
    const fromConfigMap = Object.fromEntries([
      ...literals('base/kustomization.yaml'),
      ...literals('overlays/example/kustomization.yaml'),
    ]);
    for (const name of ['promobot-serve', 'promobot-worker']) {
      const container = workload('Deployment', name).template.spec.containers[0];
      const env: Record<string, string> = { ...fromConfigMap };
      for (const e of container?.env ?? []) env[e.name] = e.value ?? 'from-a-secret-key';
      const read: string[] = [];
      const config = loadConfig(env, (path) => {
        read.push(path);
        // Long enough for every secret, including the state key (32 characters at least).
        return 'from-a-mounted-file-long-enough-for-any-key\n';
      });
      expect(config.redisUrl, name).toBe('redis://promobot-redis:6379');
      expect(config.policiesDir, name).toBe('/etc/promobot/policies');
      expect(read.length, name).toBeGreaterThan(0);
      // serve guards the release board with a token from the Secret volume.
      if (name === 'promobot-serve') {
        expect(read).toContain('/var/run/secrets/promobot/ui-token');
        expect(config.ui.tokens).toEqual(['from-a-mounted-file-long-enough-for-any-key']);
      }
      // The worker signs the ChatOps state with a key from the Secret volume.
      if (name === 'promobot-worker') {
        expect(read).toContain('/var/run/secrets/promobot/state-key');
        expect(config.stateKeys).toEqual(['from-a-mounted-file-long-enough-for-any-key']);
      }
    }
  });

  it('keeps one serve pod through a drain with a PodDisruptionBudget over the serve pods', () => {
    const pdb = find('PodDisruptionBudget', 'promobot-serve').spec as {
      minAvailable: number;
      selector: Workload['selector'];
    };
    expect(pdb.minAvailable).toBe(1);
    expect(
      matches(pdb.selector.matchLabels, workload('Deployment', 'promobot-serve').template.metadata.labels),
    ).toBe(true);
  });

  it('selects the pods of each Service and NetworkPolicy, and the Services of the ServiceMonitor', () => {
    const pods = workloads.map((w) => (w.object.spec as Workload).template.metadata.labels);
    for (const { object } of objects.filter((o) => o.object.kind === 'Service')) {
      const selector = (object.spec as { selector: Record<string, string> }).selector;
      expect(
        pods.some((labels) => matches(selector, labels)),
        object.metadata?.name,
      ).toBe(true);
    }
    for (const { object } of objects.filter((o) => o.object.kind === 'NetworkPolicy')) {
      const selector = (object.spec as { podSelector: { matchLabels: Record<string, string> } }).podSelector
        .matchLabels;
      expect(
        pods.some((labels) => matches(selector, labels)),
        object.metadata?.name,
      ).toBe(true);
    }
    const monitor = find('ServiceMonitor', 'promobot').spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; path: string }[];
    };
    const scraped = objects.filter(
      (o) => o.object.kind === 'Service' && matches(monitor.selector.matchLabels, o.object.metadata?.labels),
    );
    expect(scraped.map((s) => s.object.metadata?.name).sort()).toEqual(['promobot', 'promobot-worker']);
    expect(monitor.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
  });

  it('points the default REDIS_URL at the redis component, which persists to a volume claim with AOF on', () => {
    const base = kustomizations.get(join(ROOT, 'base/kustomization.yaml'));
    expect((base?.configMapGenerator ?? []).flatMap((g) => g.literals ?? [])).toContain(
      'REDIS_URL=redis://promobot-redis:6379',
    );
    find('Service', 'promobot-redis');
    const redis = find('StatefulSet', 'promobot-redis').spec as Workload & {
      volumeClaimTemplates: { metadata: { name: string } }[];
    };
    expect(redis.volumeClaimTemplates.map((v) => v.metadata.name)).toEqual(['data']);
    expect(redis.template.spec.containers[0]?.args?.join(' ')).toContain('--appendonly yes');
    expect(dirname(resourceFiles.find((f) => f.endsWith('statefulset.yaml')) ?? '')).toBe(
      join(ROOT, 'components/redis'),
    );
  });
});
