import { describe, expect, it } from 'vitest';
import { validatePolicyFiles } from '../../src/policy/index.js';

/** A valid policy whose staging environment (line 12) has the verify mapping given. */
function withVerify(verify: string): string {
  return `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps:
    - { name: chat-ui, image: harbor.example.com/bootcamp/chat-ui }
  environments:
    - { name: dev, path: "{{app}}/dev", update: commit }
    - name: staging
      path: "{{app}}/staging"
      verify: ${verify}
      update: pull-request
      from: dev
`;
}

function check(verify: string) {
  const { policies, problems } = validatePolicyFiles([{ path: 'p.yaml', text: withVerify(verify) }]);
  return {
    verify: policies[0]?.spec.environments[1]?.verify,
    problems: problems.map((p) => `${p.line}:${p.column} ${p.message}`),
  };
}

describe('policy: environments[].verify', () => {
  it('is absent (no verification) unless written', () => {
    const { policies } = validatePolicyFiles([
      { path: 'p.yaml', text: withVerify('{ provider: none }').replace(/^ {6}verify:.*\n/m, '') },
    ]);
    expect(policies[0]?.spec.environments[1]?.verify).toBeUndefined();
  });

  it('argocd: defaults the Application to {{app}}-{{env}} and the timeout to 15m', () => {
    expect(check('{ provider: argocd }')).toEqual({
      verify: { provider: 'argocd', applications: ['{{app}}-{{env}}'], timeout: '15m', onFailure: 'block' },
      problems: [],
    });
  });

  it('argocd: takes several Applications, appNamespace, project and timeout', () => {
    const { verify, problems } = check(
      '{ provider: argocd, applications: ["chat-ui-{{env}}", "chat-ui-{{env}}-workers"], appNamespace: team-a, project: apps, timeout: 5m, onFailure: rollback }',
    );
    expect(problems).toEqual([]);
    expect(verify).toEqual({
      provider: 'argocd',
      applications: ['chat-ui-{{env}}', 'chat-ui-{{env}}-workers'],
      appNamespace: 'team-a',
      project: 'apps',
      timeout: '5m',
      onFailure: 'rollback',
    });
    expect(check('{ provider: argocd, onFailure: revert }').problems).toHaveLength(1);
  });

  it('argocd: refuses an unknown placeholder or a name Kubernetes refuses, at the value', () => {
    expect(check('{ provider: argocd, applications: ["{{app}}-{{environment}}"] }').problems).toEqual([
      '12:50 spec.environments[1].verify.applications[0]: expected an Application name: lowercase letters, digits, "-", "." and the placeholders {{app}} and {{env}}, got "{{app}}-{{environment}}"',
    ]);
    expect(check('{ provider: argocd, applications: [Chat_UI] }').problems).toHaveLength(1);
    expect(check('{ provider: argocd, applications: [] }').problems).toEqual([
      '12:49 spec.environments[1].verify.applications: needs at least 1 item(s)',
    ]);
    expect(check('{ provider: argocd, project: "Apps!" }').problems).toHaveLength(1);
    expect(check('{ provider: argocd, timeout: soon }').problems).toHaveLength(1);
  });

  it('prometheus: takes a query, or goes without one (the kube-state-metrics default)', () => {
    expect(check('{ provider: prometheus, query: "kube_deployment_status_replicas_ready > 0" }')).toEqual({
      verify: {
        provider: 'prometheus',
        query: 'kube_deployment_status_replicas_ready > 0',
        timeout: '15m',
        onFailure: 'block',
      },
      problems: [],
    });
    expect(check('{ provider: prometheus }')).toEqual({
      verify: { provider: 'prometheus', timeout: '15m', onFailure: 'block' },
      problems: [],
    });
    expect(check('{ provider: prometheus, query: "" }').problems).toHaveLength(1);
  });

  it('none: takes nothing else', () => {
    expect(check('{ provider: none }')).toEqual({ verify: { provider: 'none' }, problems: [] });
    expect(check('{ provider: none, project: apps }').problems).toEqual([
      '12:33 spec.environments[1].verify: unknown key "project"',
    ]);
  });

  it('names the providers when the one given is unknown, and asks for one when it is missing', () => {
    expect(check('{ provider: flux }').problems).toEqual([
      '12:27 spec.environments[1].verify.provider: expected one of "argocd", "prometheus", "none", got "flux"',
    ]);
    expect(check('{ applications: [x] }').problems).toEqual([
      '12:7 spec.environments[1].verify: missing required key "provider"',
    ]);
  });
});
