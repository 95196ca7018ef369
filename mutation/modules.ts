/**
 * The decision modules under mutation testing: one entry (one Stryker run) per module, each against only its own
 * unit tests. `npm run test:mutation` runs them all; `npm run test:mutation -- evaluate` runs the named ones.
 *
 * `deciding` lists, by their text, the lines of a module that decide pass, merge, approval or authorization: no
 * mutant may survive on them. A pattern that matches no line fails the run, so the list cannot silently go stale.
 * `equivalent` lists survivors that no test can kill because the mutant behaves exactly like the original; each
 * carries the reason, and a listed mutant that no longer survives fails the run too (remove it then).
 */
export interface EquivalentMutant {
  /** Text of the line the mutant sits on (a substring of it). */
  line: string;
  mutator: string;
  /** The mutant's replacement text, as Stryker reports it. */
  replacement: string;
  reason: string;
}

export interface MutationModule {
  name: string;
  /** The source file mutated. */
  file: string;
  /** The unit test files that must kill its mutants; nothing else runs. */
  testFiles: readonly string[];
  /** The lowest mutation score (percent) accepted. */
  break: number;
  /** Substrings identifying the deciding lines; no survivor is accepted on any of them. */
  deciding: readonly string[];
  equivalent: readonly EquivalentMutant[];
}

export const MUTATION_MODULES: readonly MutationModule[] = [
  {
    name: 'authorize',
    file: 'src/chatops/authorize.ts',
    testFiles: ['test/chatops/authorize.test.ts', 'test/freeze/unfreeze.test.ts'],
    break: 90,
    deciding: [
      'z.object({ allowed: z.literal(true) })',
      'z.object({ allowed: z.literal(false), reason: z.string().min(1) })',
      'return actor.isBot || sameLogin(actor.login, botLogin)',
      "const named = command.name === 'promote' || command.name === 'rollback' ? command.env : null;",
      'if (context.environment !== null) return context.environment;',
      'const found = context.environments.find((env) => env.name === named);',
      'if (found) return found;',
      "if (approvers.some((approver) => !approver.startsWith('team:') && sameLogin(approver, login))) return true;",
      "if (!approver.startsWith('team:')) continue;",
      'if (await lookup.isTeamMember(org, team, login)) return true;',
      'if (isBotActor(actor, context.botLogin))',
      'if (READ_ONLY_COMMANDS.has(command.name)) return ALLOWED;',
      "if (typeof env === 'string') return refuse(env);",
      "if (command.name === 'promote' && env.from === undefined)",
      'const permission = await lookup.getPermission(actor.login);',
      "if (permission !== 'write' && permission !== 'admin')",
      "if (command.name !== 'approve' || command.cancel) return ALLOWED;",
      'const approvals = env.approvals ?? Approvals.parse({});',
      'const authors = [...(context.author === null ? [] : [context.author]), ...(context.requesters ?? [])];',
      'if (!approvals.allowAuthor && authors.some((author) => sameLogin(author, actor.login))) {',
      'if (approvals.approvers.length === 0) return ALLOWED;',
      'if (await isApprover(actor.login, approvals.approvers, lookup)) return ALLOWED;',
      'return refuse(notAnApprover(actor.login, approvals.approvers, env.name));',
    ],
    equivalent: [
      {
        line: 'return actor.isBot || sameLogin(actor.login, botLogin) || /\\[bot\\]$/i.test(actor.login);',
        mutator: 'Regex',
        replacement: '/\\[bot\\]/i',
        reason:
          'neither GitHub nor Gitea allows "[" or "]" in a login except the "[bot]" suffix of an app, so anchoring the match at the end changes nothing',
      },
      {
        line: "if (approvers.some((approver) => !approver.startsWith('team:') && sameLogin(approver, login))) return true;",
        mutator: 'MethodExpression',
        replacement: "approver.endsWith('team:')",
        reason:
          'the policy schema (Approver) allows no ":" in a login, so no login entry ends with "team:" and no team entry equals a login',
      },
      {
        line: 'const authors = [...(context.author === null ? [] : [context.author]), ...(context.requesters ?? [])];',
        mutator: 'ArrayDeclaration',
        replacement: '["Stryker was here"]',
        reason:
          'it adds an author named "Stryker was here": no Gitea or GitHub login holds a space, so no actor ever matches it',
      },
    ],
  },
  {
    name: 'decide-merge',
    file: 'src/promotion/pull-request-state/decide-merge.ts',
    testFiles: ['test/promotion/pull-request-state/decide-merge.test.ts'],
    break: 90,
    deciding: [
      'return environment.approvals?.required ?? 0;',
      'const approvers = countedApprovals(state, environment.approvals).map((a) => a.by);',
      "if (state.candidate === null) reasons.push('there is no candidate yet');",
      'if (approvers.length < required)',
      'if (environment.gates.length > 0 && input.skipGates !== true) {',
      "if (input.gateStatus === null) reasons.push('the gates have not run yet');",
      "else if (input.gateStatus === 'pending') reasons.push('the gates are still running');",
      "else if (input.gateStatus === 'failure') reasons.push('the gates failed');",
      'for (const h of state.holds) reasons.push(',
      "if (input.held && state.holds.length === 0) reasons.push('the promotion is held');",
      "if (input.mergeable === null) reasons.push('the host is still checking whether the PR can merge');",
      "else if (!input.mergeable) reasons.push('the PR cannot merge as it is (a conflict, or branch protection)');",
      "if (reasons.length > 0) return { action: 'wait', reasons };",
      "return environment.merger === 'bot' && (environment.autoMerge || requiredApprovals(environment) > 0);",
      "return { action: botMerges(environment) ? 'merge' : 'ready', approvers };",
      'const enough = count >= required;',
      "state: enough && holders.length === 0 && !stopped ? 'success' : 'pending',",
    ],
    equivalent: [],
  },
  {
    name: 'decide-promotions',
    file: 'src/promotion/decide-promotions.ts',
    testFiles: ['test/promotion/decide-promotions.test.ts'],
    break: 90,
    deciding: [
      "if (env.update !== 'pull-request') continue;",
      "const open = snapshot.open.filter((o) => o.meta.env === env.name && o.meta.kind === 'promotion');",
      'const [pr, ...extra] = [...open].sort((a, b) => b.number - a.number);',
      'if (!candidate) continue;',
      'if (candidate.tag === target) {',
      'if (pr && !pr.foreign)',
      'if (pr?.foreign) {',
      'const soakingUntil = candidate.soakedAt > snapshot.now ? candidate.soakedAt : null;',
      'if (soakingUntil === null)',
      '} else if (pr.meta.tag !== candidate.tag || pr.meta.digest !== candidate.digest) {',
      'if (env.from === undefined) {',
      'if (!byName.has(env.from)) return null;',
      'if (!upstream?.tag) return null;',
      'const soakMs = env.soak ? parseDuration(env.soak) : 0;',
      'const since = upstream.since ?? snapshot.now;',
      'soakedAt: soakMs > 0 ? since + soakMs : 0',
    ],
    equivalent: [],
  },
  {
    name: 'evaluate',
    file: 'src/gates/evaluate.ts',
    testFiles: ['test/gates/evaluate.test.ts'],
    break: 90,
    deciding: [
      'if (!hasThreshold(gate.thresholds))',
      't.max !== undefined || t.min !== undefined || t.maxRatio !== undefined || t.maxIncrease !== undefined',
      'if (!candidate.ok)',
      'if (trafficGuard && !trafficGuard.ok)',
      'if (candidate.points.length === 0)',
      'const relative = gate.thresholds.maxRatio !== undefined',
      'const verdict = combineVerdicts(',
      'if (!result.ok) return { ok: false',
      'if (result.warnings.length > 0)',
      'if (trafficText !== null)',
      'if (!Number.isFinite(requests))',
      'if (requests < min)',
      'if (point.value === null)',
      'if (Number.isNaN(value))',
      'if (!Number.isFinite(value))',
      '(value > t.max ? fails : passes)',
      '(value < t.min ? fails : passes)',
      'if (!baseline.ok) doubts.push',
      'else if (baseline.points.length === 0)',
      'else if (base === null)',
      'else if (b === null || !Number.isFinite(sampleNumber(b)))',
      'const increase = value - bv;',
      'if (increase > t.maxIncrease)',
      'if (bv > 0)',
      'const ratio = value / bv;',
      'if (ratio > t.maxRatio)',
      '} else if (bv === 0 && value === 0)',
      "if (fails.length > 0) return out('fail'",
      "if (doubts.length > 0) return out('inconclusive'",
      "return out('pass'",
    ],
    equivalent: [
      {
        line: 'if (trafficText !== null) {',
        mutator: 'ConditionalExpression',
        replacement: 'true',
        reason:
          'without a traffic guard the count reads as Number(null) = 0 against a minimum of 0, which never refuses',
      },
      {
        line: "if (doubts.length > 0) return out('inconclusive', doubts.join('; '));",
        mutator: 'StringLiteral',
        replacement: '""',
        reason:
          'a series collects at most one doubt (the baseline checks exclude each other), so no separator is written',
      },
    ],
  },
  {
    name: 'rounds',
    file: 'src/gates/rounds.ts',
    testFiles: ['test/gates/rounds.test.ts'],
    break: 90,
    deciding: [
      "export const GateStatus = z.enum(['pending', 'success', 'failure']);",
      'passes: z.number().int().min(1),',
      'failureLimit: z.number().int().min(1),',
      'maxInconclusiveMs: z.number().int().min(0),',
      'round: z.number().int().min(0),',
      'consecutivePasses: z.number().int().min(0),',
      'failures: z.number().int().min(0),',
      'inconclusiveSince: z.number().nullable(),',
      'status: GateStatus,',
      "if (state.status !== 'pending') return step(state);",
      'if (roundOutcome.round !== undefined && roundOutcome.round !== state.round + 1) return step(state);',
      'const round = state.round + 1;',
      'next.consecutivePasses = state.consecutivePasses + 1;',
      'next.consecutivePasses = 0;',
      'if (next.consecutivePasses >= state.passes)',
      "next.status = 'success';",
      'next.failures = state.failures + 1;',
      'if (next.failures >= state.failureLimit)',
      "next.status = 'failure';",
      'next.inconclusiveSince = null;',
      'const since = state.inconclusiveSince ?? now;',
      'next.inconclusiveSince = since;',
      'if (now - since >= state.maxInconclusiveMs)',
      "done: state.status !== 'pending',",
    ],
    equivalent: [],
  },
  {
    name: 'state-seal',
    file: 'src/promotion/pull-request-state/state-seal.ts',
    testFiles: ['test/promotion/pull-request-state/state-seal.test.ts'],
    break: 90,
    deciding: [
      '.update(`promobot-state\\n${String(scope.length)}:${scope}\\n${payload}`)',
      'enabled: signing !== undefined,',
      'signing === undefined ? null : mac(signing, scope, payload)',
      'return keys.some((key) => {',
      'return given.length === wanted.length && timingSafeEqual(given, wanted);',
      'return text.replace(/<!--/g,',
    ],
    equivalent: [],
  },
];
