import { describe, expect, it } from 'vitest';
import { readTags, tagOfValue, updateTree } from '../../src/updaters/index.js';
import { change, DIGEST, IMAGE } from './support/change.js';

const image = { app: 'chat-ui', image: IMAGE };

describe('updaters/readTags()', () => {
  it('reads the tag back from each of the four formats promobot writes', () => {
    expect(readTags({ 'd.yaml': `spec:\n  containers:\n    - image: ${IMAGE}:aaaaaaa\n` }, image)).toEqual([
      'aaaaaaa',
    ]);
    expect(
      readTags({ 'kustomization.yaml': `images:\n  - name: ${IMAGE}\n    newTag: bbbbbbb\n` }, image),
    ).toEqual(['bbbbbbb']);
    expect(readTags({ 'values.yaml': `image:\n  repository: ${IMAGE}\n  tag: ccccccc\n` }, image)).toEqual([
      'ccccccc',
    ]);
    expect(readTags({ 'args.yaml': 'args:\n  - --tag\n  - ddddddd # promobot: chat-ui\n' }, image)).toEqual([
      'ddddddd',
    ]);
  });

  it('reads back exactly what a write of the same updaters put there', () => {
    const files = {
      'a/values.yaml': `image:\n  repository: ${IMAGE}\n  tag: "1.0"\n`,
      'a/kustomization.yaml': `images:\n  - name: ${IMAGE}\n    newTag: old\n`,
    };
    const written = updateTree(files, change({ tag: 'v2.3.4', digest: DIGEST, pinDigest: true }));
    const after = Object.fromEntries(written.changed.map((f) => [f.path, f.text]));
    expect(readTags(after, image)).toEqual(['v2.3.4']);
  });

  it('lists each tag of an environment that runs several once, and nothing for other images or digests alone', () => {
    const files = new Map([
      ['b.yaml', `image: ${IMAGE}:2222222\n`],
      ['a.yaml', `image: ${IMAGE}:1111111\n---\nimage: ${IMAGE}:2222222\n`],
      ['c.yaml', `image: harbor.example.com/bootcamp/chat-api:3333333\n`],
      ['d.yaml', `image: ${IMAGE}@${DIGEST}\n`],
      ['README.md', `image: ${IMAGE}:4444444\n`],
    ]);
    expect(readTags(files, image)).toEqual(['1111111', '2222222']);
  });

  it('takes the tag out of every way a value holds it', () => {
    expect(tagOfValue(`${IMAGE}:1a2b3c4`)).toBe('1a2b3c4');
    expect(tagOfValue(`${IMAGE}:1a2b3c4@${DIGEST}`)).toBe('1a2b3c4');
    expect(tagOfValue('registry:5000/chat-ui:v1')).toBe('v1');
    expect(tagOfValue('1a2b3c4')).toBe('1a2b3c4');
    expect(tagOfValue(`${IMAGE}@${DIGEST}`)).toBeNull();
    expect(tagOfValue('registry:5000/chat-ui')).toBeNull();
    expect(tagOfValue('')).toBeNull();
  });
});

describe('updaters/readTags() on files the writer leaves alone', () => {
  it('reads no tag where two formats disagree on one value, as a write would skip the file', () => {
    // A tag-only marker on a full image reference: the manifest format reads it as a reference, the marker as a tag.
    const file = { 'a.yaml': `image: ${IMAGE}:1a2b3c4 # promobot: chat-ui\n` };
    expect(updateTree(file, change()).skipped).toHaveLength(1);
    expect(readTags(file, image)).toEqual([]);
  });
});
