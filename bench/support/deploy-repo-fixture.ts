/**
 * A generated deploy repo in a local bare remote: many apps, each with `dev`, `staging` and `prod` folders of
 * realistic manifests (Deployment, Service, ConfigMap, HPA, kustomization), written straight into the bare repo
 * with `git fast-import` so a 50,000-file repo takes seconds, not minutes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY = 'localhost';
export const PROJECT = 'harbor';
export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
/** Files per environment folder; three folders per app. */
const FILES_PER_ENV = 5;
export const FILES_PER_APP = FILES_PER_ENV * ENVIRONMENTS.length;
/** The tag every app starts with. */
export const SEED_TAG = '0000000aaaaaaa0000000aaaaaaa0000000aaaaa';

export const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Bench Person',
  GIT_AUTHOR_EMAIL: 'person@example.test',
  GIT_COMMITTER_NAME: 'Bench Person',
  GIT_COMMITTER_EMAIL: 'person@example.test',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  }).trimEnd();
}

export const appName = (i: number) => `app-${String(i).padStart(5, '0')}`;
export const imageOf = (app: string) => `${REGISTRY}/${PROJECT}/${app}`;
export const devPath = (app: string) => `${app}/dev/deployment.yaml`;

export function deployment(app: string, env: string, tag: string): string {
  const replicas = env === 'prod' ? 3 : 1;
  return `# ${app} in ${env}: owned by the ${app} team
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  namespace: ${env}
  labels:
    app.kubernetes.io/name: ${app}
    app.kubernetes.io/part-of: bootcamp
    app.kubernetes.io/managed-by: argocd
spec:
  replicas: ${replicas}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: ${app}
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${app}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      serviceAccountName: ${app}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      initContainers:
        - name: migrate
          image: ${imageOf(app)}:${tag}
          args: ["migrate", "--wait"]
      containers:
        - name: ${app}
          image: "${imageOf(app)}:${tag}" # bumped by CI
          imagePullPolicy: IfNotPresent
          ports:
            - { name: http, containerPort: 8080 }
            - { name: metrics, containerPort: 9090 }
          env:
            - name: LOG_LEVEL
              value: ${env === 'prod' ? 'info' : 'debug'}
            - name: ENVIRONMENT
              value: '${env}'
          envFrom:
            - configMapRef: { name: ${app}-config }
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { cpu: "1", memory: 512Mi }
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: 5
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            initialDelaySeconds: 10
        - name: envoy
          image: docker.io/envoyproxy/envoy:v1.31.2
          args: ["-c", "/etc/envoy/envoy.yaml"]
`;
}

function otherFiles(app: string, env: string): Record<string, string> {
  return {
    'service.yaml': `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}\n  namespace: ${env}\nspec:\n  selector:\n    app.kubernetes.io/name: ${app}\n  ports:\n    - { name: http, port: 80, targetPort: http }\n`,
    'configmap.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}-config\n  namespace: ${env}\ndata:\n  FEATURE_FLAGS: "search,chat"\n  UPSTREAM_URL: http://${app}-api.${env}.svc.cluster.local\n  CACHE_TTL: "300"\n`,
    'hpa.yaml': `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: ${app}\n  namespace: ${env}\nspec:\n  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: ${app} }\n  minReplicas: 1\n  maxReplicas: ${env === 'prod' ? 10 : 2}\n  metrics:\n    - type: Resource\n      resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }\n`,
    'kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${env}\nresources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n  - hpa.yaml\n`,
  };
}

export interface DeployRepoFixture {
  /** The bare repository (a path, usable as a remote URL). */
  readonly bare: string;
  readonly root: string;
  readonly apps: readonly string[];
  readonly files: number;
  /** Another bare repo with the same content, for a contender that must not share a remote. */
  copy(): string;
  cleanup(): void;
}

/** Writes a deploy repo of about `files` files (rounded to whole apps) into a new bare repo, branch `main`. */
export function createDeployRepoFixture(files: number): DeployRepoFixture {
  const root = mkdtempSync(join(tmpdir(), 'promobot-bench-repo-'));
  const bare = join(root, 'remote.git');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  const count = Math.max(1, Math.round((files - 1) / FILES_PER_APP));
  const apps = Array.from({ length: count }, (_, i) => appName(i));

  const chunks: string[] = [];
  const commands: string[] = [];
  let mark = 0;
  const blob = (content: string) => {
    mark += 1;
    chunks.push(`blob\nmark :${mark}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
    return mark;
  };
  commands.push(
    `M 100644 :${blob('# deploy repo\n\nOne folder per app, one per environment inside.\n')} README.md`,
  );
  for (const app of apps) {
    for (const env of ENVIRONMENTS) {
      commands.push(`M 100644 :${blob(deployment(app, env, SEED_TAG))} ${app}/${env}/deployment.yaml`);
      for (const [name, content] of Object.entries(otherFiles(app, env)))
        commands.push(`M 100644 :${blob(content)} ${app}/${env}/${name}`);
    }
  }
  const message = 'seed the deploy repo\n';
  chunks.push(
    `commit refs/heads/main\ncommitter Bench Person <person@example.test> ${Math.floor(Date.now() / 1000)} +0000\n` +
      `data ${Buffer.byteLength(message)}\n${message}${commands.join('\n')}\n\n`,
  );
  const imported = spawnSync('git', ['fast-import', '--quiet'], {
    cwd: bare,
    env: GIT_ENV,
    input: chunks.join(''),
    maxBuffer: 64 * 2 ** 20,
  });
  if (imported.status !== 0) throw new Error(`git fast-import failed: ${imported.stderr.toString()}`);
  // One pack, as a real remote that has been gc'd holds it.
  git(bare, 'repack', '-a', '-d', '-q');
  let copies = 0;
  return {
    bare,
    root,
    apps,
    files: 1 + apps.length * FILES_PER_APP,
    copy() {
      copies += 1;
      const target = join(root, `copy-${copies}.git`);
      git(root, 'clone', '--quiet', '--bare', '--no-local', bare, target);
      return target;
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
