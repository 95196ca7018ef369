import { describe, expect, it } from 'vitest';
import { renderDiff, updateTree } from '../../src/updaters/index.js';
import { change, IMAGE, NEW, OLD } from './support/change.js';

describe('updaters/updateTree()', () => {
  const files = {
    'chat-ui/dev/values.yaml': `image:\n  repository: ${IMAGE}\n  tag: ${OLD}\n`,
    'chat-ui/dev/kustomization.yaml': `images:\n  - name: ${IMAGE}\n    newTag: ${OLD}\n`,
    'chat-ui/dev/deploy.yml': `image: ${IMAGE}:${NEW}\n`,
    'chat-ui/dev/README.md': `image: ${IMAGE}:${OLD}\n`,
    'chat-ui/dev/Chart.yaml': 'name: chat-ui\nversion: 0.1.0\n',
    'chat-ui/dev/templates/deploy.yaml': `# chat-ui\nimage: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n  bad: [\n`,
  };

  it('changes every YAML file that refers to the image, reports the current and the unreadable ones', () => {
    const result = updateTree(files, change());
    expect(result.changed.map((file) => file.path)).toEqual([
      'chat-ui/dev/kustomization.yaml',
      'chat-ui/dev/values.yaml',
    ]);
    expect(result.current.map((file) => file.path)).toEqual(['chat-ui/dev/deploy.yml']);
    expect(result.skipped).toMatchObject([
      { path: 'chat-ui/dev/templates/deploy.yaml', reason: expect.stringMatching(/not valid YAML/) },
    ]);
    expect(result.references).toBe(3);
  });

  it('renders the changes as a diff git understands', () => {
    const diff = renderDiff(updateTree(files, change()).changed);
    expect(diff).toBe(
      [
        'diff --git a/chat-ui/dev/kustomization.yaml b/chat-ui/dev/kustomization.yaml',
        '--- a/chat-ui/dev/kustomization.yaml',
        '+++ b/chat-ui/dev/kustomization.yaml',
        '@@ -1,3 +1,3 @@',
        ' images:',
        `   - name: ${IMAGE}`,
        `-    newTag: ${OLD}`,
        `+    newTag: ${NEW}`,
        'diff --git a/chat-ui/dev/values.yaml b/chat-ui/dev/values.yaml',
        '--- a/chat-ui/dev/values.yaml',
        '+++ b/chat-ui/dev/values.yaml',
        '@@ -1,3 +1,3 @@',
        ' image:',
        `   repository: ${IMAGE}`,
        `-  tag: ${OLD}`,
        `+  tag: ${NEW}`,
        '',
      ].join('\n'),
    );
  });

  it('finds nothing to do in a tree that never names the image', () => {
    expect(updateTree(new Map([['a.yaml', 'kind: ConfigMap\n']]), change())).toEqual({
      changed: [],
      current: [],
      skipped: [],
      references: 0,
    });
  });
});
