import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors/index.js';
import { PRESET_NAMES, resolveGates } from '../../src/gates/index.js';

describe('gates/resolveGates()', () => {
  it('expands preset names with their defaults: TTFT p95 ≤ 2 s, error rate ≤ 1 %, 5m, a traffic guard', () => {
    const [ttft, errors] = resolveGates({ names: ['ttft-p95', 'error-rate'] });

    expect(ttft).toMatchObject({
      name: 'ttft-p95',
      preset: 'ttft-p95',
      window: '5m',
      thresholds: { max: 2 },
    });
    expect(ttft?.query).toContain('chat_first_token_latency_seconds_bucket{namespace="{{fromNamespace}}"}');
    expect(errors).toMatchObject({ thresholds: { max: 0.01 }, traffic: { min: 100 } });
    expect(errors?.query).toContain(
      ' or sum by (model) (rate(chat_requests_total{namespace="{{fromNamespace}}"}[{{window}}])) * 0)',
    );
  });

  it('knows four presets, chat service and vLLM', () => {
    expect(PRESET_NAMES).toEqual(['ttft-p95', 'error-rate', 'vllm-ttft-p95', 'vllm-error-rate']);
    const [vllm] = resolveGates({ names: ['vllm-error-rate'] });
    expect(vllm?.query).toContain('finished_reason=~"error|abort"');
    expect(vllm?.query).toContain('sum by (model_name)');
  });

  it('lets a policy gate tune a preset: window and thresholds on top of the defaults', () => {
    const [gate] = resolveGates({
      names: ['slow-ttft'],
      gates: [{ name: 'slow-ttft', preset: 'vllm-ttft-p95', window: '10m', maxRatio: 1.2 }],
    });
    expect(gate).toMatchObject({ name: 'slow-ttft', window: '10m', thresholds: { max: 2, maxRatio: 1.2 } });
  });

  it('takes a policy gate with its own PromQL, guarded by spec.traffic', () => {
    const [gate] = resolveGates({
      names: ['queue-depth'],
      gates: [{ name: 'queue-depth', query: 'max(queue{namespace="{{fromNamespace}}"})', max: 50 }],
      traffic: { query: 'sum(increase(req{namespace="{{fromNamespace}}"}[{{window}}]))', min: 200 },
    });
    expect(gate).toMatchObject({ window: '5m', thresholds: { max: 50 }, traffic: { min: 200 } });
  });

  it('refuses unknown gates, gates without threshold and unsafe templates when the policy loads', () => {
    expect(() => resolveGates({ names: ['latency'] })).toThrow(PermanentError);
    expect(() => resolveGates({ names: ['q'], gates: [{ name: 'q', query: 'up' }] })).toThrow(/no threshold/);
    expect(() =>
      resolveGates({ names: ['q'], gates: [{ name: 'q', query: 'up{a={{app}}}', max: 1 }] }),
    ).toThrow(/outside a quoted label value/);
  });
});
