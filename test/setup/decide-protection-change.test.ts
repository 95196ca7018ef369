import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PromotionPolicy } from '../../src/policy/index.js';
import {
  decideProtectionChange,
  requiredStatusContexts,
  ruleOf,
  wantedProtections,
  type WantedProtection,
} from '../../src/setup/index.js';

const policy = (name: string, repo: string, extra = '', prodGates = true) =>
  PromotionPolicy.parse(
    parse(`
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: ${name} }
spec:
  deployRepo: { scm: gitea, repo: ${repo}${extra} }
  apps: [{ name: app-${name}, image: harbor.local/bootcamp/app-${name} }]
  gates: [{ name: errors, query: 'sum(rate(x[5m]))', max: 1 }]
  environments:
    - { name: dev, path: dev, update: commit }
    - { name: prod, path: prod, from: dev, update: pull-request${prodGates ? ', gates: [errors]' : ''} }
`),
  );

const wanted: WantedProtection = {
  scm: 'gitea',
  repo: 'bootcamp/notes-deploy',
  branch: 'main',
  contexts: ['promobot/approval', 'promobot/gates', 'promobot/promotion'],
  pushers: [],
  policies: ['chat'],
};

describe('setup/requiredStatusContexts()', () => {
  it('requires promotion and approval always, and gates once an environment is gated', () => {
    expect(requiredStatusContexts(policy('a', 'o/r'))).toEqual([
      'promobot/approval',
      'promobot/gates',
      'promobot/promotion',
    ]);
    expect(requiredStatusContexts(policy('b', 'o/r', '', false))).toEqual([
      'promobot/approval',
      'promobot/promotion',
    ]);
  });
});

describe('setup/wantedProtections()', () => {
  it('adds up the policies of one branch and leaves out a branch nobody manages', () => {
    const found = wantedProtections([
      policy('a', 'bootcamp/notes-deploy', ', protection: { pushers: [Alice] }', false),
      policy('b', 'Bootcamp/notes-deploy', ', protection: { pushers: [bob] }'),
      policy('c', 'acme/deploy', ', protection: { manage: false }'),
    ]);
    expect(found).toEqual([
      {
        scm: 'gitea',
        repo: 'bootcamp/notes-deploy',
        branch: 'main',
        contexts: ['promobot/approval', 'promobot/gates', 'promobot/promotion'],
        pushers: ['alice', 'bob'],
        policies: ['a', 'b'],
      },
    ]);
  });
});

describe('setup/decideProtectionChange()', () => {
  it('creates a rule requiring the statuses with only the bot allowed to push, and nobody to force-push', () => {
    expect(decideProtectionChange([], wanted, 'Promobot')).toEqual({
      action: 'create',
      body: {
        rule_name: 'main',
        enable_push: true,
        enable_push_whitelist: true,
        push_whitelist_usernames: ['promobot'],
        push_whitelist_teams: [],
        enable_status_check: true,
        status_check_contexts: ['promobot/approval', 'promobot/gates', 'promobot/promotion'],
        enable_force_push: false,
        enable_force_push_allowlist: false,
        force_push_allowlist_usernames: [],
      },
    });
  });

  it('keeps a rule that already asks all of it, whatever else it asks', () => {
    const rule = {
      rule_name: 'main',
      enable_push: true,
      enable_push_whitelist: true,
      push_whitelist_usernames: ['promobot', 'alice'],
      enable_status_check: true,
      status_check_contexts: ['ci', ...wanted.contexts],
    };
    expect(decideProtectionChange([rule], { ...wanted, pushers: ['alice'] }, 'promobot')).toEqual({
      action: 'keep',
      ruleName: 'main',
    });
  });

  it("repairs a rule by hand: adds the missing statuses to others' and narrows the push allow-list", () => {
    const decision = decideProtectionChange(
      [
        { rule_name: 'release', enable_push: true },
        {
          rule_name: 'main',
          enable_push: true,
          enable_push_whitelist: true,
          push_whitelist_usernames: ['carol'],
          push_whitelist_teams: ['devs'],
          enable_status_check: true,
          status_check_contexts: ['ci', 'promobot/promotion'],
        },
      ],
      wanted,
      'promobot',
    );
    expect(decision).toEqual({
      action: 'update',
      ruleName: 'main',
      differences: [
        'required statuses lack promobot/approval, promobot/gates',
        'promobot is not in the push allow-list',
        'the push allow-list also names carol',
        'the teams devs may push',
      ],
      body: {
        enable_push: true,
        enable_push_whitelist: true,
        push_whitelist_usernames: ['promobot'],
        push_whitelist_teams: [],
        enable_status_check: true,
        status_check_contexts: ['ci', 'promobot/promotion', 'promobot/approval', 'promobot/gates'],
        enable_force_push: false,
        enable_force_push_allowlist: false,
        force_push_allowlist_usernames: [],
      },
    });
  });

  it('turns status checks on, and pushes on for the bot, in a rule that had them off', () => {
    const off = decideProtectionChange(
      [{ branch_name: 'main', enable_push: false, status_check_contexts: ['stale'] }],
      wanted,
      'promobot',
    );
    expect(off.action === 'update' && off.differences).toEqual([
      'status checks are not required',
      'nobody may push, not even promobot (its entry commits would be refused)',
    ]);
    expect(off.action === 'update' && off.body.status_check_contexts).toEqual(wanted.contexts);
    const open = decideProtectionChange(
      [
        {
          rule_name: 'main',
          enable_push: true,
          enable_status_check: true,
          status_check_contexts: [...wanted.contexts],
        },
      ],
      { ...wanted, pushers: ['alice'] },
      'promobot',
    );
    expect(open.action === 'update' && open.differences).toEqual(['everyone with write access may push']);
    expect(open.action === 'update' && open.body.push_whitelist_usernames).toEqual(['promobot', 'alice']);
  });

  it('reports force pushes a rule allows, to everyone or to its allow-list, and turns them off', () => {
    const rule = {
      rule_name: 'main',
      enable_push: true,
      enable_push_whitelist: true,
      push_whitelist_usernames: ['promobot'],
      enable_status_check: true,
      status_check_contexts: [...wanted.contexts],
    };
    const everyone = decideProtectionChange([{ ...rule, enable_force_push: true }], wanted, 'promobot');
    expect(everyone.action === 'update' && everyone.differences).toEqual(['force pushes are allowed']);
    expect(everyone.action === 'update' && everyone.body.enable_force_push).toBe(false);
    const listed = decideProtectionChange(
      [
        {
          ...rule,
          enable_force_push: true,
          enable_force_push_allowlist: true,
          force_push_allowlist_usernames: ['carol'],
        },
      ],
      wanted,
      'promobot',
    );
    expect(listed.action === 'update' && listed.differences).toEqual(['force pushes are allowed to carol']);
  });
});

describe('setup/decideProtectionChange() with glob rules (Gitea ≥ 1.19)', () => {
  const asWanted = {
    enable_push: true,
    enable_push_whitelist: true,
    push_whitelist_usernames: ['promobot'],
    enable_status_check: true,
    status_check_contexts: [...wanted.contexts],
  };

  it('respects a glob rule that covers the branch and asks all of it: no second rule', () => {
    expect(
      decideProtectionChange(
        [{ rule_name: 'release/*', ...asWanted }],
        { ...wanted, branch: 'release/prod' },
        'promobot',
      ),
    ).toEqual({ action: 'keep', ruleName: 'release/*' });
  });

  it('reports a conflict instead of changing a glob rule that also protects other branches', () => {
    const decision = decideProtectionChange(
      [
        {
          rule_name: 'release/**',
          enable_push: true,
          enable_status_check: true,
          status_check_contexts: ['ci'],
        },
      ],
      { ...wanted, branch: 'release/eu/prod' },
      'promobot',
    );
    expect(decision).toMatchObject({
      action: 'conflict',
      ruleName: 'release/**',
      differences: expect.arrayContaining(['everyone with write access may push']),
    });
  });

  it('takes the rule Gitea applies: a plain name before any glob, globs by priority, * within one segment', () => {
    const rules = [
      { rule_name: '*', priority: 1, enable_push: false },
      { rule_name: 'release/*', priority: 2, ...asWanted },
      { rule_name: 'RELEASE/PROD', priority: 3, ...asWanted },
    ];
    // The plain name matches ignoring case, and comes first though created last.
    expect(ruleOf(rules, 'release/prod')?.rule_name).toBe('RELEASE/PROD');
    // `*` does not cross `/`: release/eu is covered by release/* only.
    expect(ruleOf(rules, 'release/eu')?.rule_name).toBe('release/*');
    expect(ruleOf(rules, 'main')?.rule_name).toBe('*');
    expect(ruleOf(rules, 'release/eu/prod')).toBeUndefined();
    expect(ruleOf([{ rule_name: 'v{1,2}.[0-9]', priority: 1 }], 'v2.7')?.rule_name).toBe('v{1,2}.[0-9]');
  });
});
