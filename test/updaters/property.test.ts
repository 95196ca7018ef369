import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAlias, isPair, isScalar, parseAllDocuments, visit } from 'yaml';
import { updateFile } from '../../src/updaters/index.js';
import { change, IMAGE } from './support/change.js';
import { expectOnlyValuesChanged } from './support/expect-only-values-changed.js';

const hex = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: min, maxLength: max });

/** Image references a deploy repo holds: the app's (with or without tag and digest) and its look-alikes. */
const imageRef = fc.oneof(
  fc
    .record({
      tag: fc.option(hex(7, 40), { nil: undefined }),
      digest: fc.option(hex(64, 64), { nil: undefined }),
    })
    .map(
      ({ tag, digest }) =>
        `${IMAGE}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@sha256:${digest}`}`,
    ),
  hex(7, 7).map((tag) => `${IMAGE}-worker:${tag}`),
  hex(7, 7).map((tag) => `${IMAGE}/sidecar:${tag}`),
  hex(7, 7).map((tag) => `registry.example.org/bootcamp/chat-ui:${tag}`),
  fc.constantFrom('nginx:1.27', 'docker.io/library/redis', 'localhost:5000/chat-ui:v1'),
);

const quoted = (value: string, style: number): string =>
  style === 0 ? value : style === 1 ? `'${value}'` : `"${value}"`;

const comment = fc.constantFrom('', ' # set by promobot', '   #no space', ' # image: x:y');

interface Container {
  image: string;
  style: number;
  comment: string;
  flow: boolean;
}

const container = fc.record({
  image: imageRef,
  style: fc.integer({ min: 0, max: 2 }),
  comment,
  flow: fc.boolean(),
});

const documentText = fc
  .record({
    containers: fc.array(container, { minLength: 1, maxLength: 4 }),
    indent: fc.constantFrom('  ', '    '),
    anchored: fc.boolean(),
    blankLines: fc.boolean(),
    kind: fc.constantFrom('Deployment', 'StatefulSet', 'Rollout', 'InferenceService', 'Pod'),
  })
  .map(({ containers, indent, anchored, blankLines, kind }) => {
    const i = (n: number) => indent.repeat(n);
    const lines = [`kind: ${kind} # a resource`, 'spec:', `${i(1)}containers:`];
    containers.forEach((c: Container, index) => {
      const value = quoted(c.image, c.style);
      // The first container may anchor its image; the last then aliases it.
      const anchor = anchored && index === 0 ? '&img ' : '';
      const image = anchored && index === containers.length - 1 && index > 0 ? '*img' : `${anchor}${value}`;
      if (c.flow) lines.push(`${i(2)}- {name: c${index}, image: ${image}}${c.comment}`);
      else lines.push(`${i(2)}- name: c${index}`, `${i(2)}  image: ${image}${c.comment}`);
      if (blankLines) lines.push('');
    });
    return lines.join('\n');
  });

const file = fc
  .record({
    documents: fc.array(documentText, { minLength: 1, maxLength: 3 }),
    crlf: fc.boolean(),
    bom: fc.boolean(),
    leadingSeparator: fc.boolean(),
  })
  .map(({ documents, crlf, bom, leadingSeparator }) => {
    const text = `${leadingSeparator ? '---\n' : ''}${documents.join('\n---\n')}\n`;
    return `${bom ? '\uFEFF' : ''}${crlf ? text.replaceAll('\n', '\r\n') : text}`;
  });

/** Every `image:` string value of every document, in order (aliases read through). */
function images(text: string): string[] {
  const found: string[] = [];
  for (const document of parseAllDocuments(text)) {
    visit(document, {
      Pair(_key, pair) {
        if (!isPair(pair) || !isScalar(pair.key) || pair.key.value !== 'image') return;
        const node = isAlias(pair.value) ? pair.value.resolve(document) : pair.value;
        if (isScalar(node) && typeof node.value === 'string') found.push(node.value);
      },
    });
  }
  return found;
}

const newTag = hex(7, 40);

describe('updaters (property)', () => {
  it('changes generated manifests only inside the edited values, every app image gets the tag, and again is a no-op', () => {
    fc.assert(
      fc.property(file, newTag, fc.boolean(), hex(64, 64), (before, tag, pin, digest) => {
        const request = change({ tag, pinDigest: pin, digest: `sha256:${digest}` });
        const result = updateFile('env/manifests.yaml', before, request);
        expect(result.status).not.toBe('skipped');
        const after = result.status === 'changed' ? result.text : before;
        if (result.status === 'changed') expectOnlyValuesChanged(before, after, result.edits);

        const expected = images(before).map((value) =>
          value === IMAGE || value.startsWith(`${IMAGE}:`) || value.startsWith(`${IMAGE}@`)
            ? `${IMAGE}:${tag}${pin ? `@sha256:${digest}` : ''}`
            : value,
        );
        expect(images(after)).toEqual(expected);

        const again = updateFile('env/manifests.yaml', after, request);
        expect(['current', 'absent']).toContain(again.status);
      }),
      { numRuns: 120 },
    );
  });
});
