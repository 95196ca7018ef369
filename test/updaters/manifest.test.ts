import { describe, expect, it } from 'vitest';
import { manifestUpdater, updateFile } from '../../src/updaters/index.js';
import { change, crlf, DIGEST, IMAGE, NEW, OLD, STALE_DIGEST } from './support/change.js';
import { expectOnlyValuesChanged } from './support/expect-only-values-changed.js';

const update = (text: string, overrides = {}) =>
  manifestUpdater().update(text, change(overrides), 'app/deploy.yaml');

describe('updaters/manifest', () => {
  describe('update()', () => {
    it('changes the tag of every container, init container and CronJob image across documents, and nothing else', () => {
      const before = `# chat-ui in dev
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-ui   # the web front
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: '${IMAGE}:${OLD}'   # same image, other command
      containers:
        - name: web
          image: "${IMAGE}:${OLD}"
          ports: [{containerPort: 8080}]

        - name: worker
          image: ${IMAGE}-worker:${OLD}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: chat-ui-cleanup}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: cleanup, image: ${IMAGE}:${OLD}, args: ["--once"]}]
...
---
# an empty document
`;
      const result = update(before);
      expect(result?.text).toBe(
        before
          .replace(`image: '${IMAGE}:${OLD}'`, `image: '${IMAGE}:${NEW}'`)
          .replace(`image: "${IMAGE}:${OLD}"`, `image: "${IMAGE}:${NEW}"`)
          .replace(`image: ${IMAGE}:${OLD},`, `image: ${IMAGE}:${NEW},`),
      );
      expect(result?.edits.map((edit) => [edit.line, edit.before, edit.after])).toEqual([
        [11, `${IMAGE}:${OLD}`, `${IMAGE}:${NEW}`],
        [14, `${IMAGE}:${OLD}`, `${IMAGE}:${NEW}`],
        [28, `${IMAGE}:${OLD}`, `${IMAGE}:${NEW}`],
      ]);
      expectOnlyValuesChanged(before, result?.text ?? '', result?.edits ?? []);
    });

    it('finds images in Argo Rollouts and KServe InferenceServices like any other resource', () => {
      const before = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
spec:
  strategy: {canary: {steps: [{setWeight: 20}]}}
  template:
    spec:
      containers:
        - {name: web, image: ${IMAGE}:${OLD}}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
spec:
  predictor:
    containers:
      - name: kserve-container
        image: ${IMAGE}:${OLD}
`;
      const result = update(before);
      expect(result?.text).toBe(before.replaceAll(`${IMAGE}:${OLD}`, `${IMAGE}:${NEW}`));
      expect(result?.edits).toHaveLength(2);
    });

    it('leaves an image whose repository only starts with the app image alone', () => {
      const before = `containers:\n  - image: ${IMAGE}-worker:${OLD}\n  - image: ${IMAGE}/sidecar:${OLD}\n  - image: other.example.com/bootcamp/chat-ui:${OLD}\n`;
      expect(update(before)).toBeNull();
    });

    it('adds the tag to an image written without one', () => {
      const before = `image: ${IMAGE}\n`;
      expect(update(before)?.text).toBe(`image: ${IMAGE}:${NEW}\n`);
    });

    it('changes an anchored image once and leaves its aliases as aliases', () => {
      const before = `x-image: &chat "${IMAGE}:${OLD}"\nweb:\n  image: *chat\napi:\n  image: *chat # shared\n`;
      const result = update(before);
      expect(result?.text).toBe(before.replace(`"${IMAGE}:${OLD}"`, `"${IMAGE}:${NEW}"`));
      expect(result?.edits).toHaveLength(1);
    });

    it('keeps CRLF line endings, a byte order mark and document separators', () => {
      const before = `\uFEFF${crlf(`---\nkind: Pod\nspec:\n  containers:\n    - image: ${IMAGE}:${OLD}  \n---\nkind: Pod\nspec: {containers: [{image: '${IMAGE}:${OLD}'}]}\n`)}`;
      const result = update(before);
      expect(result?.text).toBe(before.replaceAll(`${IMAGE}:${OLD}`, `${IMAGE}:${NEW}`));
      expectOnlyValuesChanged(before, result?.text ?? '', result?.edits ?? []);
    });

    it('drops a stale digest when not pinning, since the runtime would keep pulling the old image by it', () => {
      const before = `image: ${IMAGE}:${OLD}@${STALE_DIGEST}\n`;
      expect(update(before)?.text).toBe(`image: ${IMAGE}:${NEW}\n`);
    });

    it('writes repository:tag@digest when pinning', () => {
      const before = `image: '${IMAGE}:${OLD}@${STALE_DIGEST}'\n`;
      expect(update(before, { pinDigest: true, digest: DIGEST })?.text).toBe(
        `image: '${IMAGE}:${NEW}@${DIGEST}'\n`,
      );
    });

    it('writes no digest when pinning is on but the push carried none', () => {
      expect(update(`image: ${IMAGE}:${OLD}\n`, { pinDigest: true })?.text).toBe(`image: ${IMAGE}:${NEW}\n`);
    });

    it('is a no-op when the tag is already there', () => {
      expect(update(`image: ${IMAGE}:${NEW} # current\n`)).toBeNull();
      expect(update(`image: ${IMAGE}:${NEW}@${DIGEST}\n`, { pinDigest: true, digest: DIGEST })).toBeNull();
    });

    it('matches Docker Hub images however they are written, keeping the spelling of the file', () => {
      const before = `a: {image: nginx:1.25}\nb: {image: docker.io/library/nginx:1.25}\nc: {image: index.docker.io/library/nginx}\n`;
      const result = manifestUpdater().update(
        before,
        change({ image: 'docker.io/library/nginx', tag: '1.27' }),
        'x.yaml',
      );
      expect(result?.text).toBe(
        `a: {image: nginx:1.27}\nb: {image: docker.io/library/nginx:1.27}\nc: {image: index.docker.io/library/nginx:1.27}\n`,
      );
    });

    it('keeps a registry port apart from the tag', () => {
      const before = `image: localhost:5000/bootcamp/chat-ui:${OLD}\n`;
      const result = manifestUpdater().update(
        before,
        change({ image: 'localhost:5000/bootcamp/chat-ui' }),
        'x.yaml',
      );
      expect(result?.text).toBe(`image: localhost:5000/bootcamp/chat-ui:${NEW}\n`);
    });

    it('leaves block scalars unedited and says why', () => {
      const located = manifestUpdater().locate(`image: |\n  ${IMAGE}:${OLD}\n`, change(), 'x.yaml');
      expect(located?.edits).toEqual([]);
      expect(located?.problems.join()).toMatch(/block scalar/);
    });

    it('ignores an image key whose value is not a string', () => {
      expect(update(`image: {repository: ${IMAGE}}\nimages: [${IMAGE}:${OLD}]\nimage: 12\n`)).toBeNull();
    });
  });
});

describe('updaters/updateFile()', () => {
  it('reports a file that is not YAML and leaves it alone', () => {
    const result = updateFile('broken.yaml', `image: [${IMAGE}:${OLD}\n  bad: - x\n`, change());
    expect(result.status).toBe('skipped');
    expect(result.status === 'skipped' && result.reason).toMatch(/not valid YAML at line \d+/);
  });

  it('tells an absent image from one already at the tag', () => {
    expect(updateFile('a.yaml', 'kind: ConfigMap\n', change()).status).toBe('absent');
    expect(updateFile('a.yaml', `image: ${IMAGE}:${NEW}\n`, change())).toMatchObject({
      status: 'current',
      references: 1,
    });
  });

  it('refuses to write a tag outside the OCI grammar even when the caller forgot to check it', () => {
    expect(() =>
      updateFile('a.yaml', `image: ${IMAGE}:${OLD}\n`, change({ tag: 'x"\nkind: Secret' })),
    ).toThrow(/OCI tag grammar/);
    expect(() => updateFile('a.yaml', `image: ${IMAGE}:${OLD}\n`, change({ tag: 'latest' }))).toThrow(
      /latest/,
    );
  });

  it('edits a value found by two formats once', () => {
    const before = `image: ${IMAGE}:${OLD} # promobot: chat-ui:ref\n`;
    const result = updateFile('a.yaml', before, change());
    expect(result).toMatchObject({
      status: 'changed',
      text: `image: ${IMAGE}:${NEW} # promobot: chat-ui:ref\n`,
    });
    expect(result.status === 'changed' && result.edits).toHaveLength(1);
  });

  it('leaves the file alone and says why when a tag-only marker sits on a full image reference', () => {
    const result = updateFile('a.yaml', `image: ${IMAGE}:${OLD} # promobot: chat-ui\n`, change());
    expect(result.status).toBe('skipped');
    expect(result.status === 'skipped' && result.reason).toMatch(
      /formats disagree: line 1: manifest writes ".*:3f9c2ab" where marker writes "3f9c2ab"/,
    );
  });
});
