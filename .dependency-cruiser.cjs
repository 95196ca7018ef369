// The layer rules of ARCHITECTURE.md, checked over the whole import graph (`npm run lint:deps`, part of `npm run lint`).
// eslint's import/no-cycle and import/no-restricted-paths catch the direct cases in the editor; this catches what is
// only reachable through other modules (a decider importing a barrel that loads bullmq, say).

const { PURE_DECIDERS, EFFECT_PACKAGES, EFFECT_BUILTINS } = require('./layers.cjs');

const toPattern = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, (c) => (c === '*' ? '[^/]+' : `\\${c}`));
const DECIDERS = `^(${PURE_DECIDERS.map(toPattern).join('|')})$`;
const EFFECTS = [
  `^node_modules/(${EFFECT_PACKAGES.map(toPattern).join('|')})/`,
  `^(node:)?(${EFFECT_BUILTINS.map(toPattern).join('|')})$`,
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: the modules cannot be read, tested or loaded one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'http-not-to-git-or-scm',
      severity: 'error',
      comment:
        'The webhook intake answers from what it receives and the queue; it never reaches a deploy repo, an SCM host or a host client.',
      from: { path: '^src/http/' },
      // scm/types.ts is the SCM port's vocabulary (types and zod schemas, no client): ChatOps names `Permission` from it.
      // scm/same-login.ts is how logins compare on every host (one pure function): ChatOps screens bots with it.
      // git/trailers.ts is the names of promobot's trailers (constants and zod schemas, no git): ChatOps writes the
      // approvers' trailer of a merge commit with them.
      // Of a host (src/hosts/<host>/), http sees only its webhook part: webhook.ts and normalize.ts, gathered in
      // hosts/webhooks.ts, and what every webhook part shares (hosts/webhook-source.ts, and the credential checks of
      // hosts/webhook-signature.ts and hosts/webhook-authorization.ts). The host's SCM client, hook setup and doctor checks, and the full registry
      // (hosts/index.ts), are out of its reach.
      to: {
        path: ['^src/(git|scm)/', '^src/hosts/'],
        pathNot: [
          '^src/(scm/types|scm/same-login|git/trailers)[.]ts$',
          '^src/hosts/(webhooks|webhook-source|webhook-signature|webhook-authorization)[.]ts$',
          '^src/hosts/[^/]+/(webhook|normalize)[.]ts$',
        ],
        reachable: true,
      },
    },
    {
      name: 'pure-deciders-import-no-effects',
      severity: 'error',
      comment: 'A decider is data in, decision out: effects belong to the runtime that calls it.',
      from: { path: DECIDERS },
      to: { path: EFFECTS, reachable: true },
    },
    {
      name: 'not-to-test',
      severity: 'error',
      comment: 'Shipped code never imports test code.',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
