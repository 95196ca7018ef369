import { parseArgs } from 'node:util';
import {
  renderProtectionOutcomes,
  renderSyncOutcomes,
  syncProtection,
  syncWebhooks,
} from '../setup/index.js';
import type { Command } from './command.js';
import { loadPoliciesOrReport } from './load-policies-or-report.js';

const USAGE = `Usage: promobot setup [--check] [--bot <login>]

Does what \`promobot webhooks sync\` does, then protects every deploy branch the policies name (unless a policy
says spec.deployRepo.protection.manage: false): merging needs the promobot/* statuses the policies produce
(promobot/promotion, promobot/approval, and promobot/gates where an environment is gated) to be green, and only
promobot's user and the policy's protection.pushers may push straight to the branch, and nobody may force-push.
Other settings of an existing rule (required approvals, merge lists, other required statuses) are kept. On Gitea,
a glob rule that covers the branch (release/*) is kept when it asks all of that, and reported as a conflict to
resolve by hand otherwise: promobot changes no rule that protects other branches too, and adds no second rule.
Running it again changes nothing. On GitHub the protection is a repository ruleset named "promobot: <branch>" (required status checks,
changes through pull requests, force pushes blocked) that promobot (its App, or its user) and the pushers bypass.

  --check        only look: list missing and differing hooks and rules, change nothing (exit 1 when any)
  --bot <login>  the login promobot acts as, when GITEA_TOKEN / GITHUB_TOKEN belong to an admin running setup
                 rather than to promobot (setup needs repo admin; promobot itself does not on GitHub)

Exit 0 when everything is as wanted, 1 when something could not be set (each with its fix).
`;

export const setupCommand: Command = {
  name: 'setup',
  summary: 'webhooks sync, and protect each deploy branch with the promobot/* statuses (idempotent)',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        check: { type: 'boolean' },
        bot: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    const config = io.config();
    const policies = await loadPoliciesOrReport(io, config, 'setup');
    if (policies === undefined) return 1;
    const checkOnly = values.check === true;
    const hooks = await syncWebhooks({ config, policies, checkOnly });
    io.stdout(renderSyncOutcomes(hooks));
    const rules = await syncProtection({
      config,
      policies,
      checkOnly,
      ...(values.bot === undefined ? {} : { botLogin: values.bot }),
    });
    io.stdout(renderProtectionOutcomes(rules));
    const drift = (a: string) => checkOnly && (a === 'missing' || a === 'differs');
    const bad = [...hooks, ...rules].some((o) => o.action === 'failed' || drift(o.action));
    return bad ? 1 : 0;
  },
};
