import { describe, expect, it } from 'vitest';
import { parseImageRef, retagImage, sameRepository } from '../../src/images/index.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('images/parseImageRef()', () => {
  it('splits registry, path, tag and digest', () => {
    expect(parseImageRef(`harbor.example.com/bootcamp/chat-ui:3f9c2ab@${DIGEST}`)).toEqual({
      ok: true,
      ref: {
        registry: 'harbor.example.com',
        path: 'bootcamp/chat-ui',
        repository: 'harbor.example.com/bootcamp/chat-ui',
        written: 'harbor.example.com/bootcamp/chat-ui',
        tag: '3f9c2ab',
        digest: DIGEST,
      },
    });
  });

  it('keeps a registry port apart from a tag', () => {
    expect(parseImageRef('localhost:5000/chat-ui')).toMatchObject({
      ok: true,
      ref: { registry: 'localhost:5000', path: 'chat-ui' },
    });
    expect(
      parseImageRef('localhost:5000/chat-ui:v1').ok && parseImageRef('localhost:5000/chat-ui:v1'),
    ).toMatchObject({
      ref: { tag: 'v1' },
    });
  });

  it('reads names without a registry host as Docker Hub, with library/ for one component', () => {
    expect(parseImageRef('nginx:1.27')).toMatchObject({
      ok: true,
      ref: { registry: 'docker.io', path: 'library/nginx', written: 'nginx' },
    });
    expect(parseImageRef('bitnami/redis')).toMatchObject({
      ok: true,
      ref: { repository: 'docker.io/bitnami/redis' },
    });
    expect(parseImageRef('localhost/chat-ui')).toMatchObject({ ok: true, ref: { registry: 'localhost' } });
  });

  it('refuses what is not a reference, with the reason', () => {
    expect(parseImageRef('Harbor/Chat-UI')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/path component "Harbor"/),
    });
    expect(parseImageRef('x/chat-ui:a b')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/outside the grammar/),
    });
    expect(parseImageRef('x/chat-ui@sha256:abc')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/64 lowercase hex/),
    });
    expect(parseImageRef('')).toMatchObject({ ok: false });
    expect(parseImageRef(`x/${'a'.repeat(10_000)}`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/\(10002 characters\) is too long/),
    });
  });
});

describe('images/sameRepository()', () => {
  it('compares whole repositories, not prefixes', () => {
    expect(
      sameRepository('harbor.example.com/bootcamp/chat-ui:1', 'harbor.example.com/bootcamp/chat-ui'),
    ).toBe(true);
    expect(
      sameRepository('harbor.example.com/bootcamp/chat-ui-worker', 'harbor.example.com/bootcamp/chat-ui'),
    ).toBe(false);
    expect(sameRepository('nginx', 'docker.io/library/nginx')).toBe(true);
    expect(sameRepository('index.docker.io/library/nginx', 'nginx')).toBe(true);
  });
});

describe('images/sameRepository() on registry hosts', () => {
  it('compares hosts without regard to case, paths with it', () => {
    expect(sameRepository('Harbor.Example.com/bootcamp/chat-ui', 'harbor.example.com/bootcamp/chat-ui')).toBe(
      true,
    );
    expect(sameRepository('harbor.example.com/Bootcamp/chat-ui', 'harbor.example.com/bootcamp/chat-ui')).toBe(
      false,
    );
  });
});

describe('images/retagImage()', () => {
  it('keeps the spelling of the repository and drops a digest it was not asked to pin', () => {
    expect(retagImage(`nginx:1.25@${DIGEST}`, { image: 'docker.io/library/nginx', tag: '1.27' })).toBe(
      'nginx:1.27',
    );
    expect(retagImage('nginx', { image: 'nginx', tag: '1.27', digest: DIGEST })).toBe(`nginx:1.27@${DIGEST}`);
    expect(retagImage('redis:7', { image: 'nginx', tag: '1.27' })).toBeNull();
  });
});
