import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkQueryTemplate,
  QueryTemplateError,
  renderQueryTemplate,
  type QueryTemplateVars,
} from '../../src/gates/index.js';

const vars: QueryTemplateVars = {
  app: 'chat-ui',
  from: 'staging',
  to: 'prod',
  namespace: 'chat-prod',
  fromNamespace: 'chat-staging',
  window: '5m',
};

describe('gates/renderQueryTemplate()', () => {
  it('fills every placeholder, with or without spaces inside the braces', () => {
    const query = renderQueryTemplate(
      'rate(x{app="{{app}}",from="{{ from }}",to="{{to}}",ns="{{namespace}}",src="{{fromNamespace}}"}[{{window}}])',
      vars,
    );

    expect(query).toBe(
      'rate(x{app="chat-ui",from="staging",to="prod",ns="chat-prod",src="chat-staging"}[5m])',
    );
  });

  it('fills the candidate placeholders {{tag}}, {{image}} and {{digest}}, escaped like the others', () => {
    const candidate = {
      ...vars,
      tag: '3f9c2ab',
      image: 'harbor.local/bootcamp/chat-ui',
      digest: 'sha256:0123',
    };
    expect(
      renderQueryTemplate('x{image=~"{{image}}:{{tag}}", d="{{digest}}", t=\'{{tag}}\'}', candidate),
    ).toBe('x{image=~"harbor\\\\.local/bootcamp/chat-ui:3f9c2ab", d="sha256:0123", t=\'3f9c2ab\'}');
    expect(renderQueryTemplate('x{t="{{tag}}"}', { ...candidate, tag: 'a"} or up{x="' })).toBe(
      'x{t="a\\"} or up{x=\\""}',
    );
    expect(() => renderQueryTemplate('x{t="{{tag}}"}', vars)).toThrow(/\{\{tag\}\} has no value here/);
    expect(() => renderQueryTemplate('x{t="{{digest}}"}', { ...candidate, digest: undefined })).toThrow(
      QueryTemplateError,
    );
    expect(() => renderQueryTemplate('x[{{tag}}]', candidate)).toThrow(/outside a quoted label value/);
    expect(() => checkQueryTemplate('x{d="{{digest}}"}')).not.toThrow();
  });

  it('keeps a hostile namespace inside its label string', () => {
    const hostile = 'x"} or vector(1) or x{a="';
    const query = renderQueryTemplate('sum(up{namespace="{{fromNamespace}}"})', {
      ...vars,
      fromNamespace: hostile,
    });

    expect(query).toBe('sum(up{namespace="x\\"} or vector(1) or x{a=\\""})');
  });

  it('escapes backslashes, newlines and control characters the way PromQL (Go) reads them', () => {
    const query = renderQueryTemplate('up{a="{{app}}"}', { ...vars, app: 'a\\b\nc\u0001' });

    expect(query).toBe('up{a="a\\\\b\\nc\\u0001"}');
  });

  it('escapes single quotes inside a single-quoted label value', () => {
    expect(renderQueryTemplate("up{a='{{app}}'}", { ...vars, app: "it's" })).toBe("up{a='it\\'s'}");
  });

  it('regex-quotes values used with =~ so a dot matches only a dot', () => {
    expect(
      renderQueryTemplate('up{ns=~"{{fromNamespace}}|other"}', { ...vars, fromNamespace: 'a.b(c)' }),
    ).toBe('up{ns=~"a\\\\.b\\\\(c\\\\)|other"}');
  });

  it('refuses a backtick in a value bound for a raw string', () => {
    expect(() => renderQueryTemplate('up{a=`{{app}}`}', { ...vars, app: 'a`b' })).toThrow(QueryTemplateError);
    expect(renderQueryTemplate('up{a=`{{app}}`}', vars)).toBe('up{a=`chat-ui`}');
  });

  it('refuses a placeholder outside a quoted label value, where no escaping could help', () => {
    expect(() => renderQueryTemplate('up{a={{app}}}', vars)).toThrow(/outside a quoted label value/);
    expect(() => checkQueryTemplate('sum by ({{app}}) (up)')).toThrow(QueryTemplateError);
  });

  it('takes {{window}} only as a PromQL duration', () => {
    expect(renderQueryTemplate('rate(x[{{window}}])', { ...vars, window: '1h30m' })).toBe('rate(x[1h30m])');
    expect(() =>
      renderQueryTemplate('rate(x[{{window}}])', { ...vars, window: '5m]) or vector(1) #' }),
    ).toThrow(/not a PromQL duration/);
  });

  it('rejects unknown placeholders, placeholders in comments and unterminated strings', () => {
    expect(() => checkQueryTemplate('up{a="{{version}}"}')).toThrow(/unknown placeholder \{\{version\}\}/);
    expect(() => checkQueryTemplate('up # {{app}}')).toThrow(/comment/);
    expect(() => checkQueryTemplate('up{a="{{app}}}')).toThrow(/unterminated/);
  });

  it('is not fooled by an escaped quote in the template itself', () => {
    expect(renderQueryTemplate('up{a="x\\"{{app}}"}', vars)).toBe('up{a="x\\"chat-ui"}');
  });

  it('round-trips any value through a double-quoted label string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (value) => {
        const query = renderQueryTemplate('up{a="{{app}}"}', { ...vars, app: value });
        const literal = query.slice('up{a='.length, -1);
        // Double-quoted PromQL strings take Go escapes; the ones we emit are a subset JSON reads the same way.
        expect(JSON.parse(literal)).toBe(value);
      }),
    );
  });
});
