import { describe, expect, it } from 'vitest';
import { kustomizeUpdater, updateFile } from '../../src/updaters/index.js';
import { change, crlf, DIGEST, IMAGE, NEW, OLD, STALE_DIGEST } from './support/change.js';
import { expectOnlyValuesChanged } from './support/expect-only-values-changed.js';

const update = (text: string, overrides = {}, path = 'chat-ui/dev/kustomization.yaml') =>
  kustomizeUpdater().update(text, change(overrides), path);

describe('updaters/kustomize', () => {
  describe('update()', () => {
    it('sets newTag of the entry whose newName is the image, keeping comments and quoting', () => {
      const before = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../base]   # shared
images:
  # the web front
  - name: chat-ui
    newName: ${IMAGE}
    newTag: '${OLD}'  # set by promobot

  - name: ${IMAGE}-worker
    newTag: "${OLD}"
`;
      const result = update(before);
      expect(result?.text).toBe(before.replace(`newTag: '${OLD}'`, `newTag: '${NEW}'`));
      expect(result?.edits).toMatchObject([{ format: 'kustomize', line: 8, before: OLD, after: NEW }]);
      expectOnlyValuesChanged(before, result?.text ?? '', result?.edits ?? []);
    });

    it('matches on name when the entry has no newName', () => {
      const before = `images:\n- name: "${IMAGE}"\n  newTag: "${OLD}"\n`;
      expect(update(before)?.text).toBe(`images:\n- name: "${IMAGE}"\n  newTag: "${NEW}"\n`);
    });

    it('leaves an entry alone that renames the app image to another repository', () => {
      expect(
        update(`images:\n- name: ${IMAGE}\n  newName: mirror.example.com/chat-ui\n  newTag: ${OLD}\n`),
      ).toBeNull();
    });

    it('adds a missing newTag in the entry style: indentation, quoting and CRLF', () => {
      const before = crlf(
        `images:\n    -   name: "chat-ui"\n        newName: "${IMAGE}" # mirror\nresources:\n  - deploy.yaml\n`,
      );
      const result = update(before);
      expect(result?.text).toBe(
        crlf(
          `images:\n    -   name: "chat-ui"\n        newName: "${IMAGE}" # mirror\n        newTag: "${NEW}"\nresources:\n  - deploy.yaml\n`,
        ),
      );
      expectOnlyValuesChanged(before, result?.text ?? '', result?.edits ?? []);
    });

    it('edits flow-style entries in place, adding a missing newTag before the closing brace', () => {
      const before = `images: [{name: chat-ui, newName: ${IMAGE}, newTag: ${OLD}}, {name: ${IMAGE}}]\n`;
      expect(update(before)?.text).toBe(
        `images: [{name: chat-ui, newName: ${IMAGE}, newTag: ${NEW}}, {name: ${IMAGE}, newTag: ${NEW}}]\n`,
      );
    });

    it('quotes a tag YAML would read as a number, so kustomize writes a string', () => {
      const before = `images:\n  - name: ${IMAGE}\n    newTag: ${OLD}\n`;
      expect(update(before, { tag: '1234567' })?.text).toBe(
        `images:\n  - name: ${IMAGE}\n    newTag: "1234567"\n`,
      );
      expect(update(before, { tag: '12345e7' })?.text).toBe(
        `images:\n  - name: ${IMAGE}\n    newTag: "12345e7"\n`,
      );
    });

    it('sets or adds the digest when pinning', () => {
      const withDigest = `images:\n  - name: ${IMAGE}\n    newTag: ${OLD}\n    digest: ${STALE_DIGEST}\n`;
      expect(update(withDigest, { pinDigest: true, digest: DIGEST })?.text).toBe(
        `images:\n  - name: ${IMAGE}\n    newTag: ${NEW}\n    digest: ${DIGEST}\n`,
      );
      const without = `images:\n  - name: ${IMAGE}\n    newTag: ${OLD}\n`;
      expect(update(without, { pinDigest: true, digest: DIGEST })?.text).toBe(
        `${without.replace(OLD, NEW)}    digest: ${DIGEST}\n`,
      );
    });

    it('takes a stale digest out when not pinning, since kustomize prefers it over newTag', () => {
      const before = `images:\n  - name: ${IMAGE}\n    newTag: ${OLD}\n    digest: ${STALE_DIGEST} # old\n  - name: other\n`;
      expect(update(before)?.text).toBe(`images:\n  - name: ${IMAGE}\n    newTag: ${NEW}\n  - name: other\n`);
      const windows = crlf(`images:\n  - name: ${IMAGE}\n    digest: ${STALE_DIGEST}\n    newTag: ${OLD}\n`);
      expect(update(windows)?.text).toBe(crlf(`images:\n  - name: ${IMAGE}\n    newTag: ${NEW}\n`));
      const digestOnly = `images:\n  - name: ${IMAGE}\n    digest: ${STALE_DIGEST}\n`;
      expect(update(digestOnly)?.text).toBe(`images:\n  - name: ${IMAGE}\n    newTag: ${NEW}\n`);
    });

    it('reads only kustomization files', () => {
      const text = `images:\n  - name: ${IMAGE}\n    newTag: ${OLD}\n`;
      expect(update(text, {}, 'chat-ui/dev/values.yaml')).toBeNull();
      expect(update(text, {}, 'chat-ui/dev/Kustomization')?.text).toContain(NEW);
      expect(update(text, {}, 'chat-ui/dev/kustomization.yml')?.text).toContain(NEW);
    });

    it('is a no-op when newTag is already the tag', () => {
      expect(update(`images:\n  - name: ${IMAGE}\n    newTag: "${NEW}"\n`)).toBeNull();
    });

    it('changes an anchored tag once when entries share it through aliases', () => {
      const before = `images:\n  - name: ${IMAGE}\n    newTag: &tag ${OLD} # shared\n  - name: chat-ui\n    newName: ${IMAGE}\n    newTag: *tag\n`;
      const result = update(before);
      expect(result?.text).toBe(before.replace(`&tag ${OLD}`, `&tag ${NEW}`));
      expect(result?.edits).toHaveLength(1);
    });

    it('edits each document of a multi-document file', () => {
      const before = `images:\n  - {name: ${IMAGE}, newTag: ${OLD}}\n---\nimages:\n  - {name: ${IMAGE}, newTag: ${OLD}}\n`;
      expect(update(before)?.edits).toHaveLength(2);
    });
  });
});

describe('updaters/updateFile() on a kustomization', () => {
  it('also updates image: values a kustomization carries in patches', () => {
    const before = `images:\n  - name: ${IMAGE}\n    newTag: ${OLD}\npatches:\n  - patch: |-\n      - op: replace\n        path: /spec/template/spec/containers/0/image\n        value: ${IMAGE}:${OLD} # promobot: chat-ui:ref\n`;
    const result = updateFile('kustomization.yaml', before, change());
    // The patch is a block scalar string: its content is not YAML the parser sees, so only newTag changes.
    expect(result).toMatchObject({
      status: 'changed',
      text: before.replace(`newTag: ${OLD}`, `newTag: ${NEW}`),
    });
  });
});
