// The layer facts both checkers read: eslint (direct imports, in the editor) and dependency-cruiser (everything
// reachable, `npm run lint:deps`). ARCHITECTURE.md explains them.

/** The pure deciders: data in, decision out. They may import types, zod and other pure modules, never an effect. */
const PURE_DECIDERS = [
  'src/chatops/authorize.ts',
  'src/chatops/parse-commands.ts',
  'src/promotion/pull-request-state/decide-merge.ts',
  'src/promotion/pull-request-state/promotion-state.ts',
  'src/promotion/pull-request-state/state-seal.ts',
  'src/promotion/pull-request-state/holds-from-comments.ts',
  'src/promotion/decide-promotions.ts',
  'src/promotion/choose-rollback-target.ts',
  'src/gates/evaluate.ts',
  'src/gates/rounds.ts',
  'src/rollout/decide-rollout.ts',
  'src/rollout/judge-verification.ts',
  'src/updaters/update-file.ts',
  'src/hosts/gitea/scm/decide-merge-failure.ts',
  'src/hosts/github/scm/decide-github-merge-failure.ts',
  'src/setup/decide-hook-change.ts',
  'src/governance/global-stop.ts',
  'src/chatops/stop-commands.ts',
  'src/promotion/pull-request-state/waiting-for-approval.ts',
];

/** What a pure decider never imports: queues, Redis, SCM and git clients, HTTP servers, the file system, processes. */
const EFFECT_PACKAGES = ['bullmq', 'ioredis', '@octokit/*', 'simple-git', 'express'];
const EFFECT_BUILTINS = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https'];

module.exports = { PURE_DECIDERS, EFFECT_PACKAGES, EFFECT_BUILTINS };
