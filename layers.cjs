// The layer facts both checkers read: eslint (direct imports, in the editor) and dependency-cruiser (everything
// reachable, `npm run lint:deps`). ARCHITECTURE.md explains them.

/** The pure deciders: data in, decision out. They may import types, zod and other pure modules, never an effect. */
const PURE_DECIDERS = [
  'src/chatops/authorize.ts',
  'src/chatops/decide-merge.ts',
  'src/chatops/parse-commands.ts',
  'src/chatops/promotion-state.ts',
  'src/chatops/state-seal.ts',
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
  'src/governance/waiting-for-approval.ts',
];

/** What a pure decider never imports: queues, Redis, SCM and git clients, HTTP servers, the file system, processes. */
const EFFECT_PACKAGES = ['bullmq', 'ioredis', '@octokit/*', 'simple-git', 'express'];
const EFFECT_BUILTINS = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https'];

module.exports = { PURE_DECIDERS, EFFECT_PACKAGES, EFFECT_BUILTINS };
