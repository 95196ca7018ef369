import { parseArgs } from 'node:util';
import { renderSyncOutcomes, syncWebhooks } from '../setup/index.js';
import type { Command } from './command.js';
import { loadPoliciesOrReport } from './load-policies-or-report.js';

const USAGE = `Usage: promobot webhooks sync [--check | --force]

Registers promobot's webhooks from the configuration and the policies: the Gitea or GitHub repository hook of
every deploy repo, and the Harbor project webhook policy of every app's project (when HARBOR_URL is set), all at
PROMOBOT_PUBLIC_URL. A missing hook is created, one that differs is repaired, one that matches is left alone;
hooks it did not make are never touched. Running it again changes nothing.

  --check   only look: list missing and differing hooks, change nothing (exit 1 when any)
  --force   re-send every hook of promobot even when it matches: after changing the first *_WEBHOOK_SECRET
            (hosts never show a stored secret, so sync cannot see that it changed)

Exit 0 when every hook is as wanted, 1 when one could not be registered (each with its fix).
`;

export const webhooksSyncCommand: Command = {
  name: 'webhooks sync',
  summary: 'register the Gitea, GitHub and Harbor webhooks from config (idempotent)',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        check: { type: 'boolean' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    const config = io.config();
    const policies = await loadPoliciesOrReport(io, config, 'webhooks sync');
    if (policies === undefined) return 1;
    const checkOnly = values.check === true;
    const outcomes = await syncWebhooks({ config, policies, checkOnly, force: values.force === true });
    io.stdout(renderSyncOutcomes(outcomes));
    const bad = outcomes.some(
      (o) => o.action === 'failed' || (checkOnly && (o.action === 'missing' || o.action === 'differs')),
    );
    return bad ? 1 : 0;
  },
};
