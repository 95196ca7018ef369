import { describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../../src/yaml/index.js';

describe('yaml/parseYamlDocuments()', () => {
  describe('reading config files', () => {
    it('returns every document of a multi-document file, skipping empty ones', () => {
      const { documents, problems } = parseYamlDocuments(
        'a: 1\n---\n# only a comment\n---\nb: [x, y]\n---\n',
      );
      expect(problems).toEqual([]);
      expect(documents.map((d) => [d.index, d.value])).toEqual([
        [0, { a: 1 }],
        [2, { b: ['x', 'y'] }],
      ]);
    });

    it('returns nothing and no problem for an empty text', () => {
      expect(parseYamlDocuments('')).toEqual({ documents: [], problems: [] });
    });

    it('reads YAML 1.2: yes, no and on stay strings', () => {
      const { documents } = parseYamlDocuments('a: yes\nb: off\nc: true\n');
      expect(documents[0]?.value).toEqual({ a: 'yes', b: 'off', c: true });
    });

    it('accepts the core tags people use to force a type', () => {
      const { documents, problems } = parseYamlDocuments('tag: !!str 1234567\n');
      expect(problems).toEqual([]);
      expect(documents[0]?.value).toEqual({ tag: '1234567' });
    });

    it('allows a few aliases of a shared list', () => {
      const text = 'a: &sre [alice, bob]\nb: *sre\nc: *sre\n';
      const { documents, problems } = parseYamlDocuments(text);
      expect(problems).toEqual([]);
      expect(documents[0]?.value).toEqual({ a: ['alice', 'bob'], b: ['alice', 'bob'], c: ['alice', 'bob'] });
    });

    it('reports a syntax error with its line and column', () => {
      const { documents, problems } = parseYamlDocuments('a: 1\nb: [x, y\nc: 2\n');
      expect(documents).toEqual([]);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]?.line).toBeGreaterThanOrEqual(2);
    });
  });

  describe('refusing evil YAML', () => {
    it('refuses a custom tag such as a CloudFormation !Ref, pointing at the tag', () => {
      const { documents, problems } = parseYamlDocuments('spec:\n  repo: !Ref DeployRepo\n');
      expect(documents).toEqual([]);
      expect(problems).toEqual([{ line: 2, column: 9, message: 'tag !Ref is not allowed' }]);
    });

    it('refuses the js-yaml code execution tags', () => {
      const text = [
        'a: !!js/function "function () { process.exit(1) }"',
        'b: !!js/undefined ""',
        'c: !!python/object/apply:os.system ["rm -rf /"]',
        '',
      ].join('\n');
      const { documents, problems } = parseYamlDocuments(text);
      expect(documents).toEqual([]);
      expect(problems.map((p) => [p.line, p.message])).toEqual([
        [1, 'tag !!js/function is not allowed'],
        [2, 'tag !!js/undefined is not allowed'],
        [3, 'tag !!python/object/apply:os.system is not allowed'],
      ]);
    });

    it('refuses tags the yaml package knows but a config file never needs (binary, set, timestamp)', () => {
      const text = 'a: !!binary aGVsbG8=\nb: !!set { x: null }\nc: !!timestamp 2024-01-01\n';
      const { documents, problems } = parseYamlDocuments(text);
      expect(documents).toEqual([]);
      expect(problems.map((p) => p.line)).toEqual([1, 2, 3]);
      expect(problems.every((p) => /^tag !!(binary|set|timestamp) is not allowed$/.test(p.message))).toBe(
        true,
      );
    });

    it('refuses a "billion laughs" alias bomb before expanding it', () => {
      const text = [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
        'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
        'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
        'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
        'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
        'g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]',
        'h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]',
        'i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]',
        '',
      ].join('\n');
      const started = Date.now();
      const { documents, problems } = parseYamlDocuments(text);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(documents).toEqual([]);
      expect(problems).toHaveLength(1);
      expect(problems[0]?.message).toMatch(/aliases expand to too many nodes/);
      expect(problems[0]?.line).toBe(2);
    });

    it('honours a tighter alias budget', () => {
      const { problems } = parseYamlDocuments('a: &x [1]\nb: *x\nc: *x\n', { maxAliasCount: 1 });
      expect(problems[0]?.message).toMatch(/more than 1/);
    });

    it('refuses merge keys, which would hide where a value comes from', () => {
      const text = 'base: &base { update: commit }\nprod:\n  <<: *base\n  path: x\n';
      const { documents, problems } = parseYamlDocuments(text);
      expect(documents).toEqual([]);
      expect(problems).toEqual([
        { line: 3, column: 3, message: 'merge keys (<<) are not allowed: write the values out' },
      ]);
    });

    it('refuses merge keys even when the file claims YAML 1.1', () => {
      const text = '%YAML 1.1\n---\nbase: &base { a: 1 }\nm:\n  <<: *base\nflag: yes\n';
      const { problems } = parseYamlDocuments(text);
      expect(problems.map((p) => p.message)).toContain(
        'merge keys (<<) are not allowed: write the values out',
      );
    });

    it('refuses duplicate keys, where the last one would silently win', () => {
      const { documents, problems } = parseYamlDocuments('spec:\n  autoMerge: false\n  autoMerge: true\n');
      expect(documents).toEqual([]);
      expect(problems).toEqual([
        { line: 3, column: 3, message: 'duplicate key: each key may appear once in a mapping' },
      ]);
    });

    it('refuses keys that are collections', () => {
      const { problems } = parseYamlDocuments('? [a, b]\n: c\n');
      expect(problems).toEqual([
        { line: 1, column: 3, message: 'keys must be plain strings, not aliases or collections' },
      ]);
    });

    it('keeps the clean documents of a file whose other document is refused', () => {
      const { documents, problems } = parseYamlDocuments('a: 1\n---\nb: !Ref x\n');
      expect(documents.map((d) => d.value)).toEqual([{ a: 1 }]);
      expect(problems).toEqual([{ line: 3, column: 4, message: 'tag !Ref is not allowed' }]);
    });
  });

  describe('locate()', () => {
    const text = [
      'spec:', //                           1
      '  deployRepo: { scm: gitea }', //    2
      '  environments:', //                 3
      '    - name: dev', //                 4
      '      gates: [a, b]', //             5
      '    - name: prod', //                6
      '      empty:', //                    7
      '',
    ].join('\n');
    const doc = parseYamlDocuments(text).documents[0];

    it('finds a value by its path', () => {
      expect(doc?.locate(['spec', 'environments', 1, 'name'])).toEqual({ line: 6, column: 13 });
      expect(doc?.locate(['spec', 'environments', 0, 'gates', 1])).toEqual({ line: 5, column: 18 });
      expect(doc?.locate(['spec', 'deployRepo', 'scm'])).toEqual({ line: 2, column: 22 });
    });

    it('finds the key that names a value', () => {
      expect(doc?.locate(['spec', 'environments', 0, 'gates'], 'key')).toEqual({ line: 5, column: 7 });
    });

    it('points a missing key at its parent, by the key that names the parent', () => {
      expect(doc?.locate(['spec', 'deployRepo', 'repo'])).toEqual({ line: 2, column: 3 });
    });

    it('points a missing key of a list item at the item', () => {
      expect(doc?.locate(['spec', 'environments', 1, 'path'])).toEqual({ line: 6, column: 7 });
    });

    it('points a key without a value at that key', () => {
      expect(doc?.locate(['spec', 'environments', 1, 'empty'])).toEqual({ line: 7, column: 7 });
    });

    it('follows aliases to their anchor', () => {
      const aliased = parseYamlDocuments('a: &x { b: 1 }\nc: *x\n').documents[0];
      expect(aliased?.locate(['c', 'b'])).toEqual({ line: 1, column: 12 });
    });
  });
});
