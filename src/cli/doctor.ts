import { parseArgs } from 'node:util';
import { doctorPassed, renderChecklist, runDoctor } from '../setup/index.js';
import type { Command } from './command.js';

const USAGE = `Usage: promobot doctor

Checks, without changing anything, everything promobot needs: Redis; the policies; each deploy repo (git read
access with the token, and the token's permission to push, set statuses and merge, from the host's API); each
SCM token; the look-ups ChatOps makes to decide commands (a named approver's permission and the members of every
team: approver, read as the worker reads them); Harbor and Prometheus; every gate query's syntax and whether it
returns data now; each Argo CD Application a policy verifies through (exists, readable with ARGOCD_TOKEN); the
webhook registrations. Prints a checklist with the exact fix for each failure.

Exit 0 when every check passes (warnings allowed), 1 when one fails.
`;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check every connection, permission, gate query and webhook; print the fixes',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    const config = io.config();
    const checks = await runDoctor({
      config,
      baseEnv: { PATH: io.env.PATH, HOME: io.env.HOME },
    });
    io.stdout(renderChecklist(checks));
    return doctorPassed(checks) ? 0 : 1;
  },
};
