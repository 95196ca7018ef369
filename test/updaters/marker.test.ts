import { describe, expect, it } from 'vitest';
import { markerUpdater } from '../../src/updaters/index.js';
import { change, crlf, DIGEST, IMAGE, NEW, OLD } from './support/change.js';
import { expectOnlyValuesChanged } from './support/expect-only-values-changed.js';

const update = (text: string, overrides = {}) =>
  markerUpdater().update(text, change(overrides), 'chat-ui/dev/app.yaml');

describe('updaters/marker', () => {
  describe('update()', () => {
    it('sets the value on the line of a tag marker, whatever its key', () => {
      const before = `spec:
  source:
    helm:
      parameters:
        - name: front.version
          value: "${OLD}"   # promobot: chat-ui
        - name: back.version
          value: "${OLD}"   # promobot: chat-api
`;
      const result = update(before);
      expect(result?.text).toBe(
        before.replace(`"${OLD}"   # promobot: chat-ui`, `"${NEW}"   # promobot: chat-ui`),
      );
      expect(result?.edits).toMatchObject([{ format: 'marker', line: 6, before: OLD, after: NEW }]);
      expectOnlyValuesChanged(before, result?.text ?? '', result?.edits ?? []);
    });

    it('sets a full reference for a :ref marker, keeping single quotes and pinning the digest', () => {
      const before = `env:\n  - {name: FRONT_IMAGE, value: '${IMAGE}:${OLD}'} # promobot: chat-ui:ref\n`;
      expect(update(before)?.text).toBe(before.replace(`:${OLD}'`, `:${NEW}'`));
      expect(update(before, { pinDigest: true, digest: DIGEST })?.text).toBe(
        before.replace(`:${OLD}'`, `:${NEW}@${DIGEST}'`),
      );
    });

    it('marks sequence items and CRLF files', () => {
      const before = crlf(`args:\n  - --tag\n  - ${OLD} #promobot: chat-ui\n  - --other\n`);
      const result = update(before);
      expect(result?.text).toBe(before.replace(`${OLD} #`, `${NEW} #`));
      expectOnlyValuesChanged(before, result?.text ?? '', result?.edits ?? []);
    });

    it('ignores marker text inside a string and markers for other apps', () => {
      const before = `a: "x # promobot: chat-ui"\nb: ${OLD} # promobot: chat-ui-worker\nc: |\n  ${OLD} # promobot: chat-ui\n`;
      expect(update(before)).toBeNull();
    });

    it('reports a marker with no value before it on its line', () => {
      const located = markerUpdater().locate(`# promobot: chat-ui\na: ${OLD}\n`, change(), 'x.yaml');
      expect(located?.references).toBe(0);
      expect(located?.problems.join()).toMatch(
        /line 1: the promobot marker for chat-ui has no value before it/,
      );
    });

    it('changes the anchored value when the marked value is an alias, in any document', () => {
      const before = `other: ${OLD}\n---\ntags:\n  front: &front '${OLD}'\nparameters:\n  - {name: a, value: *front} # promobot: chat-ui\n---\nother: ${OLD} # promobot: chat-ui\n`;
      const result = update(before);
      expect(result?.text).toBe(
        before.replace(`'${OLD}'`, `'${NEW}'`).replace(`other: ${OLD} #`, `other: ${NEW} #`),
      );
    });

    it('reports a marked alias whose anchor is not in its document, rather than marking its neighbour', () => {
      const before = `tags:\n  front: &front '${OLD}'\n---\nparameters:\n  - {name: a, value: *front} # promobot: chat-ui\n`;
      const located = markerUpdater().locate(before, change(), 'x.yaml');
      expect(located?.edits).toEqual([]);
      expect(located?.problems.join()).toMatch(
        /line 5: the value marked for chat-ui is an alias to no single value/,
      );
    });

    it('is a no-op when the marked value is already the tag', () => {
      expect(update(`tag: ${NEW} # promobot: chat-ui\n`)).toBeNull();
    });
  });
});
