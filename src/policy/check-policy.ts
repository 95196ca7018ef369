import { isGatePreset } from './gate-presets.js';
import { formatPath, type PolicyIssue } from './policy-issue.js';
import type { PromotionPolicy } from './schema.js';

/** Keys that only mean something when the environment moves by pull request. */
const PULL_REQUEST_ONLY_KEYS = ['approvals', 'autoMerge', 'merger', 'mergeMethod'] as const;

const PATH_PLACEHOLDERS = new Set(['app', 'env']);

/**
 * Checks one schema-valid policy for what its JSON Schema cannot express: environment order and names, keys
 * that only fit pull-request environments, gate references, regular expressions. Pure; `raw` is the document as
 * written (before zod filled defaults), so a key the user set can be told from a default.
 */
export function checkPolicy(policy: PromotionPolicy, raw: unknown): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const { spec } = policy;
  const rawEnvironments = arrayAt(raw, ['spec', 'environments']);

  const firstIndex = new Map<string, number>();
  spec.environments.forEach((env, i) => {
    const at = (...rest: (string | number)[]) => ['spec', 'environments', i, ...rest];
    const seen = firstIndex.get(env.name);
    if (seen === undefined) firstIndex.set(env.name, i);
    else {
      issues.push({
        path: at('name'),
        message: `environment "${env.name}" is already defined at ${formatPath(['spec', 'environments', seen])}`,
      });
    }

    if (env.from !== undefined) {
      const upstream = firstIndex.get(env.from);
      if (env.from === env.name) {
        issues.push({ path: at('from'), message: `environment "${env.name}" cannot take from itself` });
      } else if (upstream === undefined || upstream >= i) {
        const known = spec.environments.some((e) => e.name === env.from);
        issues.push({
          path: at('from'),
          message: known
            ? `"${env.from}" must be listed before "${env.name}" (environments are in promotion order)`
            : `"${env.from}" is not an environment of this policy (${spec.environments.map((e) => e.name).join(', ')})`,
        });
      }
    } else {
      if (env.gates.length > 0) {
        issues.push({
          path: at('gates'),
          target: 'key',
          message: `gates measure the candidate where it already runs, so they need from: "${env.name}" is an entry environment`,
        });
      }
      if (env.soak !== undefined) {
        issues.push({
          path: at('soak'),
          target: 'key',
          message: `soak is how long the candidate runs upstream first, so it needs from: "${env.name}" is an entry environment`,
        });
      }
    }

    const rawEnv = rawEnvironments?.[i];
    if (env.update !== 'pull-request') {
      for (const key of PULL_REQUEST_ONLY_KEYS) {
        if (hasKey(rawEnv, key)) {
          issues.push({
            path: at(key),
            target: 'key',
            message: `only applies to update: pull-request ("${env.name}" moves by commit)`,
          });
        }
      }
    } else if (env.autoMerge && env.merger === 'people') {
      issues.push({
        path: at('merger'),
        message: '"people" contradicts autoMerge: true: keep one',
      });
    }

    const approvals = env.approvals;
    if (
      approvals &&
      approvals.approvers.length > 0 &&
      approvals.approvers.every((a) => !a.startsWith('team:'))
    ) {
      if (approvals.required > approvals.approvers.length) {
        issues.push({
          path: at('approvals', 'required'),
          message: `${approvals.required} approvals required but only ${approvals.approvers.length} approver(s) listed`,
        });
      }
    }

    env.gates.forEach((gate, j) => {
      if (!spec.gates.some((g) => g.name === gate) && !isGatePreset(gate)) {
        issues.push({
          path: at('gates', j),
          message: `unknown gate "${gate}": define it under spec.gates or use a preset`,
        });
      }
    });
    if (env.watch !== undefined && env.gates.length === 0) {
      issues.push({
        path: at('watch'),
        target: 'key',
        message: 'watch re-evaluates the gates, but this environment has none',
      });
    }

    for (const placeholder of env.path.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      if (!PATH_PLACEHOLDERS.has(placeholder[1] ?? '')) {
        issues.push({
          path: at('path'),
          message: `unknown placeholder ${placeholder[0]} (use {{app}} or {{env}})`,
        });
      }
    }
  });

  if (spec.environments.length > 0 && spec.environments.every((env) => env.from !== undefined)) {
    issues.push({
      path: ['spec', 'environments'],
      target: 'key',
      message:
        'no entry environment: at least one environment must have no from, so image pushes land somewhere',
    });
  }

  const gateIndex = new Map<string, number>();
  spec.gates.forEach((gate, k) => {
    const at = (...rest: (string | number)[]) => ['spec', 'gates', k, ...rest];
    const seen = gateIndex.get(gate.name);
    if (seen === undefined) gateIndex.set(gate.name, k);
    else
      issues.push({
        path: at('name'),
        message: `gate "${gate.name}" is already defined at ${formatPath(['spec', 'gates', seen])}`,
      });

    if (gate.query !== undefined && gate.preset !== undefined) {
      issues.push({
        path: at('preset'),
        target: 'key',
        message: `gate "${gate.name}": set query or preset, not both`,
      });
    } else if (gate.query === undefined && gate.preset === undefined && !isGatePreset(gate.name)) {
      issues.push({ path: at(), message: `gate "${gate.name}" needs a query or a preset` });
    }
    if ((gate.candidate !== undefined || gate.candidateLabel !== undefined) && gate.query !== undefined) {
      issues.push({
        path: at(gate.candidate !== undefined ? 'candidate' : 'candidateLabel'),
        target: 'key',
        message: `gate "${gate.name}": candidate and candidateLabel restrict a preset; in a query, write {{tag}} or {{image}} where the series should match the candidate`,
      });
    }
    const hasThreshold = [gate.max, gate.min, gate.maxRatio, gate.maxIncrease].some((t) => t !== undefined);
    // A preset brings its own thresholds; a query alone has nothing to compare against.
    if (gate.query !== undefined && !hasThreshold) {
      issues.push({
        path: at(),
        message: `gate "${gate.name}" needs a threshold: max, min, maxRatio or maxIncrease`,
      });
    }
  });

  spec.apps.forEach((app, i) => {
    const at = (...rest: (string | number)[]) => ['spec', 'apps', i, 'tags', ...rest];
    const allow = compile(app.tags.allow);
    if (typeof allow === 'string') {
      issues.push({ path: at('allow'), message: `not a valid regular expression: ${allow}` });
    } else if (allow.test('latest')) {
      issues.push({
        path: at('allow'),
        message: 'matches "latest": environments must pin immutable tags',
      });
    }
    if (app.tags.deny !== undefined) {
      const deny = compile(app.tags.deny);
      if (typeof deny === 'string') {
        issues.push({ path: at('deny'), message: `not a valid regular expression: ${deny}` });
      }
    }
  });

  return issues;
}

/** The compiled expression, or why it does not compile. */
function compile(source: string): RegExp | string {
  try {
    return new RegExp(source);
  } catch (error) {
    return error instanceof Error
      ? error.message.replace(/^Invalid regular expression: /, '')
      : String(error);
  }
}

function hasKey(value: unknown, key: string): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, key);
}

function arrayAt(value: unknown, path: readonly string[]): unknown[] | undefined {
  let node = value;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return Array.isArray(node) ? node : undefined;
}
