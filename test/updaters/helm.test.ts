import { describe, expect, it } from 'vitest';
import { helmUpdater, updateFile } from '../../src/updaters/index.js';
import { change, crlf, DIGEST, IMAGE, NEW, OLD } from './support/change.js';
import { expectOnlyValuesChanged } from './support/expect-only-values-changed.js';

const update = (text: string, overrides = {}) =>
  helmUpdater().update(text, change(overrides), 'chat-ui/dev/values.yaml');

describe('updaters/helm', () => {
  describe('update()', () => {
    it('sets the tag of an image block whose registry and repository name the image', () => {
      const before = `# values for dev
chatUi:
  replicaCount: 2
  image:
    registry: harbor.example.com   # the company registry
    repository: bootcamp/chat-ui
    tag: "${OLD}"
    pullPolicy: IfNotPresent

worker:
  image:
    registry: harbor.example.com
    repository: bootcamp/chat-ui-worker
    tag: "${OLD}"
`;
      const result = update(before);
      expect(result?.text).toBe(before.replace(`tag: "${OLD}"`, `tag: "${NEW}"`));
      expect(result?.edits).toMatchObject([{ format: 'helm', line: 7, before: OLD, after: NEW }]);
      expectOnlyValuesChanged(before, result?.text ?? '', result?.edits ?? []);
    });

    it('matches a repository that carries the registry, in flow style and single quotes', () => {
      const before = `image: {repository: '${IMAGE}', tag: '${OLD}'}\n`;
      expect(update(before)?.text).toBe(`image: {repository: '${IMAGE}', tag: '${NEW}'}\n`);
    });

    it('adds a missing tag after the block with its indentation', () => {
      const before = crlf(
        `chatUi:\n  initImage:\n    repository: ${IMAGE}\n    pullPolicy: Always\nother: 1\n`,
      );
      expect(update(before)?.text).toBe(
        crlf(
          `chatUi:\n  initImage:\n    repository: ${IMAGE}\n    pullPolicy: Always\n    tag: ${NEW}\nother: 1\n`,
        ),
      );
    });

    it('fills an empty tag', () => {
      expect(update(`image:\n  repository: ${IMAGE}\n  tag:\n`)?.text).toBe(
        `image:\n  repository: ${IMAGE}\n  tag: ${NEW}\n`,
      );
      expect(update(`image:\n  repository: ${IMAGE}\n  tag: ""\n`)?.text).toBe(
        `image:\n  repository: ${IMAGE}\n  tag: "${NEW}"\n`,
      );
    });

    it('rewrites a tag YAML read as a number as a quoted string, so Helm does not render 1.234567e+06', () => {
      expect(update(`image:\n  repository: ${IMAGE}\n  tag: 1234567\n`, { tag: '1234567' })?.text).toBe(
        `image:\n  repository: ${IMAGE}\n  tag: "1234567"\n`,
      );
    });

    it('sets the explicit key paths from policy, once even when a block also names the value', () => {
      const before = `chatUi:\n  image:\n    repository: ${IMAGE}\n    tag: ${OLD}\nlegacy:\n  frontTag: '${OLD}' # read by a template\n`;
      const result = update(before, {
        helmTagPaths: ['chatUi.image.tag', 'legacy.frontTag', 'missing.path'],
      });
      expect(result?.text).toBe(before.replaceAll(OLD, NEW));
      expect(result?.edits).toHaveLength(2);
    });

    it('sets a digest value when pinning and empties it otherwise', () => {
      const before = `image:\n  repository: ${IMAGE}\n  tag: ${OLD}\n  digest: ""\n`;
      expect(update(before, { pinDigest: true, digest: DIGEST })?.text).toBe(
        before.replace(`tag: ${OLD}`, `tag: ${NEW}`).replace('""', `"${DIGEST}"`),
      );
      const pinned = `image:\n  repository: ${IMAGE}\n  tag: ${OLD}\n  digest: ${DIGEST}\n`;
      expect(update(pinned)?.text).toBe(`image:\n  repository: ${IMAGE}\n  tag: ${NEW}\n  digest: ""\n`);
    });

    it('changes an anchored tag once through its aliases', () => {
      const before = `tags:\n  chat: &tag ${OLD}\nimage:\n  repository: ${IMAGE}\n  tag: *tag\n`;
      const result = update(before, { helmTagPaths: ['tags.chat'] });
      expect(result?.text).toBe(before.replace(`&tag ${OLD}`, `&tag ${NEW}`));
    });

    it('follows list indexes in key paths and edits every document', () => {
      const before = `sidecars:\n  - name: proxy\n    tag: "${OLD}" # the proxy\n---\nimage: {repository: ${IMAGE}, tag: ${OLD}}\n`;
      const result = update(before, { helmTagPaths: ['sidecars.0.tag', 'sidecars.7.tag', 'sidecars.x.tag'] });
      expect(result?.text).toBe(before.replaceAll(OLD, NEW));
      expectOnlyValuesChanged(before, result?.text ?? '', result?.edits ?? []);
    });

    it('is a no-op when the tag is already there', () => {
      expect(update(`image:\n  repository: ${IMAGE}\n  tag: ${NEW}\n`)).toBeNull();
    });
  });
});

describe('updaters/updateFile() on Helm values', () => {
  it('changes a one-string image and an image block in the same file', () => {
    const before = `front:\n  image: ${IMAGE}:${OLD}\nback:\n  image:\n    repository: ${IMAGE}\n    tag: ${OLD}\n`;
    const result = updateFile('values.yaml', before, change());
    expect(result).toMatchObject({ status: 'changed', text: before.replaceAll(OLD, NEW) });
  });
});

describe('updaters/helm with aliases', () => {
  it('follows a block tag that is an alias to its anchor', () => {
    const before = `shared: &tag "${OLD}"\nimage:\n  repository: ${IMAGE}\n  tag: *tag\n`;
    expect(helmUpdater().update(before, change(), 'values.yaml')?.text).toBe(
      before.replace(`"${OLD}"`, `"${NEW}"`),
    );
  });
});
