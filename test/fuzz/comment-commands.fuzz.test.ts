import { QueueEvents } from 'bullmq';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_COMMENT_LENGTH,
  createChatopsRuntime,
  isBotActor,
  commentCommands,
  parseCommands,
  type ChatopsRuntime,
  type ChatopsRuntimeDeps,
  type ParsedCommand,
} from '../../src/chatops/index.js';
import {
  APPROVAL_STATUS_CONTEXT,
  MAX_AUDIT_ENTRIES,
  MAX_PROCESSED_COMMENTS,
  StoredPromotion,
  createPromotionPullRequests,
  createPullRequestStore,
  formatCommand,
  inlineCode,
  readStatusComment,
} from '../../src/promotion/pull-request-state/index.js';
import type { CommentCreated } from '../../src/events/index.js';
import { normalizeGitea } from '../../src/hosts/gitea/normalize.js';
import { EVENTS_QUEUE } from '../../src/queue/index.js';
import { createStopRuntime } from '../../src/governance/stop-runtime.js';
import { approverCheck, commandsIn, stopCommandsIn } from '../../src/worker/index.js';
import { createScmHost } from '../../src/hosts/index.js';
import { type CommitStatus, type ScmHost } from '../../src/scm/index.js';
import { REPO, logger, policyFor, startHarness, type Harness } from '../chatops/runtime-harness.js';
import type { Delivery } from '../doubles/deliver-webhook.js';
import type { GiteaDouble } from '../doubles/gitea/index.js';
import { startApp, type TestApp } from '../support/app.js';
import { git } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import {
  APPROVERS,
  BOT,
  OUTSIDER,
  SEGMENT_KINDS,
  WRITER,
  invalidComments,
  type GeneratedComment,
  type Target,
} from './support/invalid-comments.js';
import { recordingScmHost, type RecordedWrite, type RecordingScmHost } from './support/recording-scm-host.js';

/**
 * No state change from an invalid comment, at the level of the running ChatOps runtime (the runtime harness of
 * test/chatops: the real runtime, a real redis-server, real git repos, the Gitea double).
 *
 * Invalid comments (see support/invalid-comments.ts): garbage and prose, near-miss commands (`/aprove`, `/Approve`,
 * `/hold.`), commands with bad arguments, commands in code, quotes and HTML comments, look-alike characters,
 * comments longer than promobot reads, commands the author may not give, commands on a PR promobot did not open,
 * and comments by bots. For each one, promobot may only
 * - remember the comment id (its `chatops:comment:*` claim key, and the id in the PR's processed list), as for
 *   every comment by a person, so that a redelivery is not handled twice;
 * - answer a comment that has a command line in it, and only then: one reply (one line per refused command and per
 *   malformed line, a typo naming the command meant), a 👎 or 😕 reaction, the status comment rewritten with the
 *   same approvals, holds and candidate, the `promobot/approval` status set again to what it was, and a refusal in
 *   the audit list for each command refused (the list is bounded; a full one drops refusals and no-ops first, so
 *   every decision recorded before must still be there);
 * - say nothing at all about a comment with no command line in it.
 * Nothing else: no approval or hold recorded, no promotion or rollback asked for, no PR opened, changed, closed or
 * merged, no branch or commit in the deploy repo, no new key in Redis.
 *
 * Two runs of the same property, because every call to the Gitea double runs git in a child process (it syncs
 * refs first), so one answered comment costs some 60 ms there, and 10,000 of them would take ten minutes:
 * 1. `PROMOBOT_FUZZ_RUNS` comments (10,000 by default) through the runtime's `onComment`, wired as the worker wires
 *    it, over the real Redis store, each event made from a real Gitea delivery by the real normalizer. What the
 *    runtime asks the code host is answered by the Gitea double once and remembered; what it would write is
 *    recorded and checked instead of sent (support/recording-scm-host.ts).
 * 2. A two-hundredth of that (50) end to end, some 150 ms each: each comment posted in the Gitea double, its
 *    webhook deliveries (and those of the bot's own answers) POSTed to `/webhooks/gitea` of the real HTTP app,
 *    queued in Redis and run by the real worker, whose `CommentCreated` handler is the runtime of the harness.
 *    Every write lands in the double, whose PRs, comments, reactions, statuses and hooks are compared before and
 *    after each comment, and the queue must hold the deliveries' own jobs and nothing else.
 * The deploy repo's refs are compared every 25 comments of run 2, and after each run. Last, the property is run
 * against two deliberately broken runtimes, and must fail for each.
 */
const RUNS = Number(process.env.PROMOBOT_FUZZ_RUNS ?? 10_000);
const ROUTE_RUNS = Math.max(5, Math.round(RUNS / 200));
const REFS_EVERY = 25;

/** The harness's key prefix, and how long a handled comment id is kept (chatops-store.ts). */
const PREFIX = 'test';
const DONE_TTL_SECONDS = 7 * 24 * 3600;
/** What the harness's double signs its webhooks with. */
const HARNESS_WEBHOOK_SECRET = 's';
const BOTS = [BOT, 'renovate[bot]'];
/** What bullmq keeps per queue besides one hash per job: lists by state, the id counter, the event stream. */
const QUEUE_BOOKKEEPING = new Set([
  'id',
  'meta',
  'events',
  'marker',
  'stalled-check',
  'stalled',
  'wait',
  'paused',
  'active',
  'prioritized',
  'pc',
  'delayed',
  'completed',
  'failed',
  'limiter',
]);

const repoKey = REPO.fullName.toLowerCase();
const stateKey = (pr: number) => `${PREFIX}:chatops:gitea:${repoKey}:${pr}:state`;
const lockKey = (pr: number) => `${PREFIX}:chatops:gitea:${repoKey}:${pr}:lock`;
const claimKey = (commentId: number) => `${PREFIX}:chatops:comment:gitea:${repoKey}:${commentId}`;
const CLAIM_PREFIX = `${PREFIX}:chatops:comment:`;

interface PromotionPr {
  number: number;
  headSha: string;
  statusCommentId: number;
  /** The `promobot/approval` status before the fuzz: every answer sets it again, unchanged. */
  approval: StatusLine;
}

interface World {
  held: PromotionPr;
  fresh: PromotionPr;
  foreign: { number: number; headSha: string };
  /** A real Gitea `issue_comment` delivery, the shape generated comments are normalized from. */
  template: Delivery;
  /** The harness's double, for reading its model without API calls. */
  model: GiteaDouble;
  /** The deploy repo's refs before the fuzz. */
  refs: string;
  /** Keys in Redis before the fuzz that are not claims of handled comments. */
  otherKeys: string[];
}

let redisServer: RedisServer;
let h: Harness;
let world: World;
/** Ids of comments that exist only as events, far above the double's; never one twice (that is a redelivery). */
let lastSyntheticId = 500_000_000;
const syntheticId = () => ++lastSyntheticId;

const isBot = (login: string) => isBotActor({ login, isBot: false }, BOT);
const numberOf = (target: Target) => world[target].number;
const deployRefs = () => git(h.deployBare, 'for-each-ref', '--format=%(refname) %(objectname)');
/** A commit status as the property compares it (the double keeps `state` as a plain string). */
interface StatusLine {
  context: string;
  state: string;
  description: string;
}
const approvalOf = (status: StatusLine): StatusLine => ({
  context: status.context,
  state: status.state,
  description: status.description,
});

async function say(number: number, author: string, body: string) {
  const posted = await h.double.comment(REPO.fullName, number, author, body);
  await h.pump();
  return posted;
}

async function stored(number: number): Promise<StoredPromotion> {
  const raw = await h.redis.get(stateKey(number));
  if (raw === null) throw new Error(`no chatops state for #${number}`);
  return StoredPromotion.parse(JSON.parse(raw));
}

/** Two promotion PRs in the state ChatOps left them (one approved and held), and a PR alice opened. */
async function buildWorld(): Promise<World> {
  // The harness types its double narrowly; for `gitea` it is the Gitea double, whose model is read directly here
  // (an API call would cost a git process each).
  const model = h.double as unknown as GiteaDouble;
  if (typeof model.pulls !== 'function') throw new Error('the harness did not start the Gitea double');
  const promotion = async (app: string, requestedBy?: string) => {
    const { number, headSha } = await h.openPromotion(app, requestedBy);
    // As promotion does when it opens the PR: the status comment and the approval status exist from the start.
    await h.runtime.onCandidate('gitea', REPO, number, headSha, '3f9c2ab');
    return { number, headSha };
  };
  const held = await promotion('chat-ui', WRITER);
  await say(held.number, 'release-lead', '/approve');
  await say(held.number, 'dave', '/hold waiting for INC-7');
  const fresh = await promotion('chat-api');

  const tree = git(h.deployBare, 'rev-parse', 'main^{tree}');
  const docs = git(h.deployBare, 'commit-tree', tree, '-p', 'main', '-m', 'docs: fix a typo');
  git(h.deployBare, 'update-ref', 'refs/heads/docs/typo', docs);
  await h.double.syncRefs();
  const asAlice = createScmHost('gitea', {
    baseUrl: h.double.url,
    token: h.tokens[WRITER] ?? '',
    logger,
    retry: { baseDelayMs: 5 },
  });
  const foreign = await asAlice.createPullRequest(REPO, {
    head: 'docs/typo',
    base: 'main',
    title: 'docs: fix a typo',
    body: 'A typo in the docs, nothing to deploy.',
  });
  await h.pump();

  // dave's `/hold`: a created comment on a PR, by a person.
  const template = h.double.deliveries.findLast((d) => {
    const payload = JSON.parse(d.body) as { action?: string; comment?: { user?: { login?: string } } };
    return (
      d.event === 'issue_comment' && payload.action === 'created' && payload.comment?.user?.login === 'dave'
    );
  });
  if (!template) throw new Error('no issue_comment delivery to copy');
  const promotionPr = async ({
    number,
    headSha,
  }: {
    number: number;
    headSha: string;
  }): Promise<PromotionPr> => {
    const { statusCommentId } = await stored(number);
    const approval = model
      .statuses(REPO.fullName, headSha)
      .filter((s) => s.context === APPROVAL_STATUS_CONTEXT)
      .at(-1);
    if (statusCommentId === null || !approval) throw new Error(`#${number} has no status comment or status`);
    return { number, headSha, statusCommentId, approval: approvalOf(approval) };
  };
  const keys = await h.redis.keys(`*`);
  return {
    held: await promotionPr(held),
    fresh: await promotionPr(fresh),
    foreign: { number: foreign.number, headSha: docs },
    template,
    model,
    refs: deployRefs(),
    otherKeys: keys.filter((k) => !k.startsWith(CLAIM_PREFIX)).sort(),
  };
}

// --- Redis -----------------------------------------------------------------------------------------------------

/** In one round trip: how many keys (all, or those matching ARGV[1]), and the type, value and TTL of KEYS. */
const PROBE = `
local out = {}
if ARGV[1] == '' then out[1] = redis.call('DBSIZE') else out[1] = #redis.call('KEYS', ARGV[1]) end
for i = 1, #KEYS do
  local kind = redis.call('TYPE', KEYS[i])['ok']
  out[#out + 1] = kind
  if kind == 'string' then out[#out + 1] = redis.call('GET', KEYS[i]) else out[#out + 1] = '' end
  out[#out + 1] = redis.call('TTL', KEYS[i])
end
return out
`;

interface KeyState {
  type: string;
  value: string;
  ttl: number;
}
interface Probe {
  count: number;
  keys: Map<string, KeyState>;
}

/** The keys handling comment `commentId` may touch or must not leave behind. */
function watchedKeys(commentId: number): string[] {
  const { held, fresh, foreign } = world;
  return [
    claimKey(commentId),
    stateKey(held.number),
    stateKey(fresh.number),
    stateKey(foreign.number),
    lockKey(held.number),
    lockKey(fresh.number),
    lockKey(foreign.number),
  ];
}

async function probe(keys: string[], countPattern = ''): Promise<Probe> {
  const out = (await h.redis.eval(PROBE, keys.length, ...keys, countPattern)) as (string | number)[];
  const found = new Map<string, KeyState>();
  keys.forEach((key, i) => {
    found.set(key, {
      type: String(out[1 + i * 3]),
      value: String(out[2 + i * 3]),
      ttl: Number(out[3 + i * 3]),
    });
  });
  return { count: Number(out[0]), keys: found };
}

/** Every key but the handled-comment claims is one that was there before; every claim is a finished one. */
async function expectOnlyClaimsAdded(claims: number): Promise<void> {
  const keys = await h.redis.keys(`${PREFIX}:*`);
  const claimKeys = keys.filter((k) => k.startsWith(CLAIM_PREFIX));
  expect(keys.filter((k) => !k.startsWith(CLAIM_PREFIX)).sort()).toEqual(
    world.otherKeys.filter((k) => k.startsWith(`${PREFIX}:`)),
  );
  expect(claimKeys.length).toBe(claims);
  for (let i = 0; i < claimKeys.length; i += 1000) {
    const values = await h.redis.mget(...claimKeys.slice(i, i + 1000));
    expect(values.filter((v) => v !== 'done')).toEqual([]);
  }
}

// --- the property ----------------------------------------------------------------------------------------------

/** What the runtime wrote to the code host while handling one comment, whichever way it was observed. */
type Write =
  | { kind: 'reaction'; commentId: number; content: string }
  | { kind: 'reply'; number: number; body: string }
  | { kind: 'edit'; commentId: number; body: string }
  | { kind: 'status'; sha: string; status: StatusLine }
  | { kind: 'other'; what: string };

interface Observed {
  comment: GeneratedComment;
  commentId: number;
  before: Probe;
  after: Probe;
  writes: Write[];
}

/** Tallies for the closing line, and proof that each kind of comment was generated. */
interface Tally {
  comments: number;
  silent: number;
  answered: number;
  refusals: number;
  typosNamed: number;
  kinds: Record<string, number>;
}
const newTally = (): Tally => ({
  comments: 0,
  silent: 0,
  answered: 0,
  refusals: 0,
  typosNamed: 0,
  kinds: {},
});

function expectReply(
  body: string,
  comment: GeneratedComment,
  parsed: ReturnType<typeof parseCommands>,
  tally: Tally,
) {
  // Every reply ends with the hidden line that ties it to its comment (one reply per comment, even after a crash).
  expect(body).toMatch(/\n<!-- promobot:reply-to \d+ -->$/);
  const lines = body.replace(/\n<!-- promobot:reply-to \d+ -->$/, '').split('\n');
  const refused = parsed.commands.length;
  expect(lines[0]).toBe(`@${comment.author}`);
  expect(lines).toHaveLength(1 + refused + parsed.problems.length);
  parsed.commands.forEach(({ command }, i) => {
    expect(lines[1 + i]).toContain(`- ❌ ${inlineCode(formatCommand(command))}: `);
  });
  parsed.problems.forEach((problem, i) => {
    const line = lines[1 + refused + i] ?? '';
    expect(line).toMatch(problem.kind === 'unknown' ? /^- ❓ / : /^- ⚠️ /);
    if (problem.kind === 'unknown' && comment.typos.includes(problem.word)) {
      // One letter off (or the wrong case): the reply names the command meant.
      expect(problem.suggestion, `no suggestion for /${problem.word}`).not.toBeNull();
      expect(line).toContain(`\`/${problem.suggestion ?? ''}\``);
      tally.typosNamed += 1;
    }
  });
}

/**
 * `expect(actual).toEqual(expected)` for plain JSON data built in the same key order: comparing the JSON is far
 * faster 10,000 times over than a deep comparison, which is still made, for its diff, when they differ.
 */
function expectSame(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual, what).toEqual(expected);
}

/** The state after = the state before, with the comment id remembered and each refusal in the audit list. */
function expectStateDelta(before: KeyState, after: KeyState, o: Observed, commands: ParsedCommand[]) {
  // As the store wrote them (its `save` parses with the schema): the key order of StoredPromotion.
  const was = JSON.parse(before.value) as StoredPromotion;
  const now = JSON.parse(after.value) as StoredPromotion;
  const added = now.state.audit.slice(now.state.audit.length - commands.length);
  expect(added.map((e) => [e.actor, e.action, e.outcome])).toEqual(
    commands.map((c) => [o.comment.author, formatCommand(c.command), 'refused']),
  );
  // A full list drops refusals and no-ops first: every decision recorded before is still there, in order.
  const decisions = (audit: StoredPromotion['state']['audit']) =>
    audit.filter((e) => e.outcome === 'accepted');
  expectSame(decisions(now.state.audit), decisions(was.state.audit), 'the decisions in the audit list');
  expect(now.state.audit.length).toBe(Math.min(MAX_AUDIT_ENTRIES, was.state.audit.length + added.length));
  const expected: StoredPromotion = {
    statusCommentId: was.statusCommentId,
    state: {
      ...was.state,
      processedCommentIds: [...was.state.processedCommentIds, o.commentId].slice(-MAX_PROCESSED_COMMENTS),
      audit: now.state.audit,
    },
  };
  expectSame(now, expected, 'the stored state');
  expect(after.ttl).toBe(-1);
  return now;
}

/**
 * The property, for one comment: Redis and the code host changed exactly as an invalid comment may change them.
 * `writes` is what the runtime wrote to the code host (recorded, or read back from the double's request log).
 */
function expectNoStateChange(o: Observed, tally: Tally): void {
  const { comment, commentId, before, after } = o;
  const bot = isBot(comment.author);
  const pr = comment.target === 'foreign' ? null : world[comment.target];
  // As promobot reads a comment on a PR: a look-alike command is a problem, answered (and never carried out).
  const parsed = commentCommands({ body: comment.body, isPullRequest: true });
  tally.comments += 1;
  for (const kind of comment.kinds) tally.kinds[kind] = (tally.kinds[kind] ?? 0) + 1;

  if (pr !== null && !bot) {
    // The generator's promise, checked: the only commands in the comment are ones the author may not give.
    for (const { command } of parsed.commands) expect(comment.refused).toContain(formatCommand(command));
    if (comment.kinds.includes('huge')) {
      expect(parsed).toEqual({
        commands: [],
        problems: [{ kind: 'too-long', limit: MAX_COMMENT_LENGTH, length: comment.body.length }],
      });
    }
  }
  const answered = pr !== null && !bot && parsed.commands.length + parsed.problems.length > 0;

  // Redis: a bot's comment leaves nothing; anyone else's leaves exactly its claim key, finished.
  expect(after.count, 'keys in Redis').toBe(before.count + (bot ? 0 : 1));
  const claim = after.keys.get(claimKey(commentId));
  if (bot) expect(claim?.type).toBe('none');
  else {
    expect(claim).toMatchObject({ type: 'string', value: 'done' });
    expect(claim?.ttl).toBeGreaterThan(0);
    expect(claim?.ttl).toBeLessThanOrEqual(DONE_TTL_SECONDS);
  }
  const { held, fresh, foreign } = world;
  for (const key of [
    lockKey(held.number),
    lockKey(fresh.number),
    lockKey(foreign.number),
    stateKey(foreign.number),
  ])
    expect(after.keys.get(key)?.type, key).toBe('none');
  let state: StoredPromotion | null = null;
  for (const each of [held, fresh]) {
    const was = before.keys.get(stateKey(each.number));
    const now = after.keys.get(stateKey(each.number));
    if (answered && each === pr) {
      expect(now?.type, `state of #${each.number}`).toBe('string');
      if (was && now) state = expectStateDelta(was, now, o, parsed.commands);
    } else expectSame(now, was, `state of #${each.number}`);
  }

  // The code host: nothing, or the one answer.
  if (!answered || pr === null || state === null) {
    expect(o.writes, 'what the runtime wrote for a comment it must not answer').toEqual([]);
    tally.silent += 1;
    return;
  }
  tally.answered += 1;
  tally.refusals += parsed.commands.length;
  expect(o.writes.map((w) => w.kind)).toEqual(['reaction', 'reply', 'edit', 'status']);
  const [reaction, reply, edit, status] = o.writes;
  expect(reaction).toEqual({
    kind: 'reaction',
    commentId,
    content: parsed.commands.length > 0 ? '-1' : 'confused',
  });
  expect(reply).toMatchObject({ kind: 'reply', number: pr.number });
  if (reply?.kind === 'reply') expectReply(reply.body, comment, parsed, tally);
  expect(edit).toMatchObject({ kind: 'edit', commentId: pr.statusCommentId });
  if (edit?.kind === 'edit')
    expectSame(readStatusComment(edit.body), state.state, 'the status comment state');
  expect(status).toEqual({ kind: 'status', sha: pr.headSha, status: pr.approval });
}

// --- the runtime, two ways --------------------------------------------------------------------------------------

/** What the runtime asked promotion to do: a reconcile, a rollback or a requester to record. */
type Ask = string;

/** A ChatOps runtime wired as the harness wires it (and the worker, in production), over the given code host. */
function runtimeOver(scm: ScmHost, asks: Ask[]): ChatopsRuntime {
  const policy = policyFor('gitea');
  const resolve: ChatopsRuntimeDeps['resolve'] = (kind, fullName) =>
    kind === 'gitea' && fullName.toLowerCase() === repoKey ? { policy, scm, botLogin: BOT } : null;
  const stops = createStopRuntime({ redis: h.redis, prefix: PREFIX, commandsIn: stopCommandsIn });
  const pullRequests = createPromotionPullRequests({
    stops,
    redis: h.redis,
    prefix: PREFIX,
    logger,
    resolve,
    policyNamed: (name) => (name === policy.metadata.name ? policy : undefined),
    gateStatus: () => Promise.resolve(h.gates),
    approverCheck,
    commandsIn,
  });
  return createChatopsRuntime({
    redis: h.redis,
    prefix: PREFIX,
    logger,
    resolve,
    pullRequests,
    stops,
    requestReconcile: (_policy, app, reason) => {
      asks.push(`reconcile ${app}: ${reason}`);
      return Promise.resolve();
    },
    recordRequester: (_policy, app, env, actor) => {
      asks.push(`requester ${app} ${env}: ${actor}`);
      return Promise.resolve();
    },
    rollback: (_policy, app, env, toTag) => {
      asks.push(`rollback ${app} ${env} ${toTag ?? ''}`);
      return Promise.resolve({ pr: 99 });
    },
  });
}

/** The comment as Gitea would deliver it, through the real normalizer. */
function eventFor(comment: GeneratedComment, commentId: number): CommentCreated {
  const payload = JSON.parse(world.template.body) as {
    comment: { id: number; body: string; user: { login: string } };
    issue: { number: number };
    sender: { login: string };
    is_pull: boolean;
  };
  payload.comment.id = commentId;
  payload.comment.body = comment.body;
  payload.comment.user.login = comment.author;
  payload.sender.login = comment.author;
  payload.issue.number = numberOf(comment.target);
  payload.is_pull = true;
  const result = normalizeGitea(world.template.headers, payload);
  if (!('events' in result) || result.events[0]?.type !== 'CommentCreated')
    throw new Error(`the normalizer did not make a CommentCreated: ${JSON.stringify(result)}`);
  return result.events[0];
}

/**
 * Hands comments to `runtime` (over a recording host) one by one and checks the property for each. Redis is read
 * once per comment: nothing else runs between two comments, so what it held after one is what it holds before the
 * next (the next comment's claim key aside, which cannot exist yet).
 */
function recordedRunner(
  runtime: ChatopsRuntime,
  recording: RecordingScmHost,
  asks: Ask[],
  /** Which keys count (see PROBE); all of them, cheaply, while Redis holds nothing but ChatOps keys. */
  countPattern = '',
) {
  let last: Probe | null = null;
  return async (comment: GeneratedComment, commentId: number, tally: Tally): Promise<void> => {
    const keys = watchedKeys(commentId);
    const previous = last;
    const before: Probe =
      previous === null
        ? await probe(keys, countPattern)
        : {
            count: previous.count,
            keys: new Map(
              keys.map((key) => [
                key,
                key === claimKey(commentId)
                  ? { type: 'none', value: '', ttl: -2 }
                  : (previous.keys.get(key) ?? { type: '?', value: '', ttl: 0 }),
              ]),
            ),
          };
    recording.writes.length = 0;
    asks.length = 0;
    await runtime.onComment(eventFor(comment, commentId), logger);
    const after = await probe(keys, countPattern);
    last = after;
    expectNoStateChange(
      { comment, commentId, before, after, writes: recordedWrites(recording.writes) },
      tally,
    );
    expect(asks).toEqual([]);
  };
}

function recordedWrites(writes: RecordedWrite[]): Write[] {
  return writes.map((w): Write => {
    const [, target, third] = w.args as [string, unknown, unknown];
    switch (w.method) {
      case 'addReaction':
        return { kind: 'reaction', commentId: Number(target), content: String(third) };
      case 'createComment':
        return { kind: 'reply', number: Number(target), body: String(third) };
      case 'updateComment':
        return { kind: 'edit', commentId: Number(target), body: String(third) };
      case 'setCommitStatus':
        return { kind: 'status', sha: String(target), status: approvalOf(third as CommitStatus) };
      default:
        return { kind: 'other', what: `${w.method} ${JSON.stringify(w.args)}` };
    }
  });
}

/** The double's PRs, comments (with reactions), statuses and hooks, read from its model. */
function hostSnapshot() {
  const { model } = world;
  const pulls = model.pulls(REPO.fullName);
  const shas = [world.held.headSha, world.fresh.headSha, world.foreign.headSha];
  return {
    pulls: pulls.map((p) => ({
      index: p.index,
      state: p.state,
      merged: p.merged,
      head: p.head,
      base: p.base,
      headSha: p.headSha,
      mergeCommitSha: p.mergeCommitSha,
      title: p.title,
      body: p.body,
    })),
    comments: pulls.flatMap((p) =>
      model.comments(REPO.fullName, p.index).map((c) => ({
        pr: p.index,
        id: c.id,
        author: c.author.login,
        body: c.body,
        reactions: c.reactions.map((r) => `${r.user.login}:${r.content}`),
      })),
    ),
    statuses: Object.fromEntries(
      shas.map((sha) => [sha, model.statuses(REPO.fullName, sha).map((s) => approvalOf(s))]),
    ),
    hooks: model.hooks(REPO.fullName).length,
  };
}
type HostSnapshot = ReturnType<typeof hostSnapshot>;

/**
 * What the runtime wrote, from the double's request log, with the bodies from its model; and the check that the
 * model changed by exactly those writes (PRs, other comments, other statuses, hooks: unchanged).
 */
function writesInDouble(requestsAt: number, before: HostSnapshot, after: HostSnapshot): Write[] {
  const repo = `/repos/${REPO.fullName}`;
  const known = new Set(before.comments.map((c) => c.id));
  const expected: HostSnapshot = structuredClone(before);
  const writes = world.model.requests.slice(requestsAt).flatMap((r): Write[] => {
    // A 404 can be an answer (not a team member); a write must succeed.
    if (r.method === 'GET') return [];
    expect(r.status, `${r.method} ${r.path}`).toBeLessThan(300);
    let m: RegExpExecArray | null;
    if (r.method === 'POST' && (m = new RegExp(`^${repo}/issues/comments/(\\d+)/reactions$`).exec(r.path))) {
      const commentId = Number(m[1]);
      const content =
        after.comments
          .find((c) => c.id === commentId)
          ?.reactions.at(-1)
          ?.split(':')[1] ?? '';
      expected.comments.find((c) => c.id === commentId)?.reactions.push(`${BOT}:${content}`);
      return [{ kind: 'reaction', commentId, content }];
    }
    if (r.method === 'POST' && (m = new RegExp(`^${repo}/issues/(\\d+)/comments$`).exec(r.path))) {
      const number = Number(m[1]);
      const added = after.comments.filter((c) => c.pr === number && !known.has(c.id));
      expect(added.map((c) => c.author)).toEqual([BOT]);
      expected.comments.push(...added);
      return [{ kind: 'reply', number, body: added[0]?.body ?? '' }];
    }
    if (r.method === 'PATCH' && (m = new RegExp(`^${repo}/issues/comments/(\\d+)$`).exec(r.path))) {
      const commentId = Number(m[1]);
      const body = after.comments.find((c) => c.id === commentId)?.body ?? '';
      const edited = expected.comments.find((c) => c.id === commentId);
      if (edited) edited.body = body;
      return [{ kind: 'edit', commentId, body }];
    }
    if (r.method === 'POST' && (m = new RegExp(`^${repo}/statuses/([0-9a-f]+)$`).exec(r.path))) {
      const sha = m[1] ?? '';
      const status = after.statuses[sha]?.at(-1) ?? approvalOf({ context: '', state: '', description: '' });
      expected.statuses[sha]?.push(status);
      return [{ kind: 'status', sha, status }];
    }
    return [{ kind: 'other', what: `${r.method} ${r.path}` }];
  });
  // The model lists comments by PR, oldest first.
  expected.comments.sort((a, b) => a.pr - b.pr || a.id - b.id);
  expectSame(after, expected, 'the Gitea double');
  return writes;
}

/** Every kind of invalid comment was generated, and each way of answering happened: the fuzz tested something. */
function expectVariety(tally: Tally): void {
  for (const kind of [...SEGMENT_KINDS, 'huge', 'valid'])
    expect(tally.kinds[kind] ?? 0, kind).toBeGreaterThan(0);
  for (const count of [tally.silent, tally.answered, tally.refusals, tally.typosNamed])
    expect(count).toBeGreaterThan(0);
}

function report(name: string, tally: Tally, extra = '') {
  const kinds = Object.entries(tally.kinds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  console.log(
    `fuzz comments (${name}): ${tally.comments} comments, ${tally.silent} left unanswered, ${tally.answered} answered once ` +
      `(${tally.refusals} refusals, ${tally.typosNamed} typos named); segments: ${kinds}${extra}`,
  );
}

describe('fuzzing ChatOps comments: an invalid comment changes no state', () => {
  beforeAll(async () => {
    redisServer = await startRedis({ appendOnly: false });
    h = await startHarness('gitea', redisServer);
    world = await buildWorld();
  }, 60_000);

  afterEach(() => {
    expect(h.double.violations.splice(0)).toEqual([]);
    expect(h.double.answerProblems.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await h?.close();
    await redisServer?.close();
  });

  it('sets the scene: one promotion approved once and held, one untouched, and a PR promobot did not open', async () => {
    expect(await stored(world.held.number)).toMatchObject({
      state: { approvals: [{ by: 'release-lead' }], holds: [{ by: 'dave', reason: 'waiting for INC-7' }] },
    });
    expect(world.held.approval).toEqual({
      context: APPROVAL_STATUS_CONTEXT,
      state: 'pending',
      description: '1 of 2 approvals; held by @dave',
    });
    expect(await stored(world.fresh.number)).toMatchObject({ state: { approvals: [], holds: [] } });
    expect(world.foreign.number).toBeGreaterThan(world.fresh.number);
    // Per PR: the state, and the number of the last write of its status comment; per deploy repo, its global stops
    // (none), recorded when the first merge decision read them.
    const seqKey = (pr: number) => stateKey(pr).replace(/:state$/, ':seq');
    expect(world.otherKeys).toEqual(
      [
        ...[world.held.number, world.fresh.number].flatMap((pr) => [stateKey(pr), seqKey(pr)]),
        `${PREFIX}:stops:gitea:bootcamp/notes-deploy`,
      ].sort(),
    );
    expect([...APPROVERS, WRITER, OUTSIDER].every((login) => h.tokens[login] !== undefined)).toBe(true);
  });

  it(`${RUNS} generated comments through onComment over the real Redis store: no state change`, async () => {
    const recording = recordingScmHost(h.host);
    const asks: Ask[] = [];
    const runtime = runtimeOver(recording.host, asks);
    const tally = newTally();
    const claims = (await h.redis.keys(`${CLAIM_PREFIX}*`)).length;
    // Counting keys with DBSIZE is right (and fast) while all of them are ChatOps's.
    expect(await h.redis.dbsize()).toBe((await h.redis.keys(`${PREFIX}:*`)).length);
    const handle = recordedRunner(runtime, recording, asks);
    let people = 0;
    await fc.assert(
      fc.asyncProperty(invalidComments(BOTS), async (comment) => {
        await handle(comment, syntheticId(), tally);
        if (!isBot(comment.author)) people += 1;
      }),
      { numRuns: RUNS },
    );
    await expectOnlyClaimsAdded(claims + people);
    expect(deployRefs()).toBe(world.refs);
    if (RUNS >= 1_000) expectVariety(tally);
    report('onComment, writes recorded', tally, `; ${recording.asked()} distinct questions to the double`);
  }, 600_000);

  describe('end to end: Gitea webhooks → POST /webhooks/gitea → queue → worker → runtime', () => {
    let app: TestApp;
    let events: QueueEvents;

    beforeAll(async () => {
      app = await startApp({
        redisUrl: redisServer.url,
        config: { logLevel: 'silent', webhookSecrets: { gitea: [HARNESS_WEBHOOK_SECRET] } },
        handlers: { CommentCreated: (event, context) => h.runtime.onComment(event, context.logger) },
      });
      events = new QueueEvents(EVENTS_QUEUE, {
        connection: { host: '127.0.0.1', port: redisServer.port },
        prefix: app.config.queuePrefix,
      });
      await events.waitUntilReady();
    });
    afterAll(async () => {
      await events?.close();
      await app?.close();
    });

    it(`${ROUTE_RUNS} generated comments: no state change, and the queue holds only their own jobs`, async () => {
      const tally = newTally();
      const claims = (await h.redis.keys(`${CLAIM_PREFIX}*`)).length;
      const jobIds = new Set<string>();
      const outcomes: Record<number, number> = {};
      await h.double.flush();
      let cursor = h.double.deliveries.length;
      /** Forwards what the double sent since the last call, and waits for each job; again for the bot's answers. */
      const forward = async () => {
        for (;;) {
          await h.double.flush();
          const fresh = h.double.deliveries.slice(cursor);
          cursor = h.double.deliveries.length;
          if (fresh.length === 0) return;
          for (const delivery of fresh) {
            const response = await fetch(`${app.baseUrl}/webhooks/gitea`, {
              method: 'POST',
              headers: delivery.headers,
              body: delivery.body,
            });
            outcomes[response.status] = (outcomes[response.status] ?? 0) + 1;
            expect([200, 202]).toContain(response.status);
            const answer = (await response.json()) as { jobIds?: string[] };
            for (const id of answer.jobIds ?? []) {
              jobIds.add(id);
              const job = await app.producer.queue.getJob(id);
              // Told by the queue's event stream, not by polling: the job failing rejects.
              await job?.waitUntilFinished(events, 30_000);
            }
          }
        }
      };
      let people = 0;
      await fc.assert(
        fc.asyncProperty(invalidComments([BOT]), async (comment) => {
          const posted = await h.double.comment(
            REPO.fullName,
            numberOf(comment.target),
            comment.author,
            comment.body,
          );
          await h.double.flush();
          const keys = watchedKeys(posted.id);
          const before = await probe(keys, `${PREFIX}:*`);
          const host = hostSnapshot();
          const requestsAt = world.model.requests.length;
          const asked = h.reconciles.length + h.rollbacks.length;
          await forward();
          const after = await probe(keys, `${PREFIX}:*`);
          const writes = writesInDouble(requestsAt, host, hostSnapshot());
          expectNoStateChange({ comment, commentId: posted.id, before, after, writes }, tally);
          expect(h.reconciles.length + h.rollbacks.length, 'reconciles and rollbacks asked for').toBe(asked);
          if (!isBot(comment.author)) people += 1;
          if (tally.comments % REFS_EVERY === 0) expect(deployRefs()).toBe(world.refs);
        }),
        { numRuns: ROUTE_RUNS },
      );
      await expectOnlyClaimsAdded(claims + people);
      expect(deployRefs()).toBe(world.refs);
      // The deliveries made one job each (the comments, and the bot's own replies, ignored) and nothing else.
      const jobs = await app.producer.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
      expect(new Set(jobs.map((j) => j.id))).toEqual(jobIds);
      expect(jobs.filter((j) => j.data.event.type !== 'CommentCreated')).toEqual([]);
      expect(await app.producer.queue.getJobCounts('failed', 'waiting', 'delayed', 'active')).toEqual({
        failed: 0,
        waiting: 0,
        delayed: 0,
        active: 0,
      });
      // In Redis, a delivery leaves its job's hash (and its entries in the queue's own lists); nothing else is new.
      const queueKeys = await h.redis.keys(`${app.config.queuePrefix}:${EVENTS_QUEUE}:*`);
      const named = (key: string) => key.slice(`${app.config.queuePrefix}:${EVENTS_QUEUE}:`.length);
      expect(new Set(queueKeys.map(named).filter((name) => !QUEUE_BOOKKEEPING.has(name)))).toEqual(jobIds);
      expect(await h.redis.keys(`${app.config.queuePrefix}:*`)).toHaveLength(queueKeys.length);
      report(
        'webhook route',
        tally,
        `; deliveries answered ${JSON.stringify(outcomes)}, ${jobs.length} jobs`,
      );
    }, 600_000);
  });

  describe('the property can fail', () => {
    /** Ways to break the runtime that the property must notice (each is a bug an invalid comment could cause). */
    const SABOTAGE: [
      string,
      RegExp,
      (event: CommentCreated, recording: RecordingScmHost) => Promise<void>,
    ][] = [
      [
        'a runtime that records a hold for a comment with an unknown command',
        /the stored state/,
        async (event) => {
          if (!parseCommands(event.body).problems.some((p) => p.kind === 'unknown')) return;
          const store = createPullRequestStore(h.redis, PREFIX);
          const key = { scm: 'gitea' as const, repo: REPO.fullName, number: event.number };
          const known = await store.load(key);
          if (!known) return;
          const at = new Date().toISOString();
          const holds = [
            ...known.state.holds,
            { by: event.author, reason: null, at, commentId: event.commentId },
          ];
          await store.save(key, { ...known, state: { ...known.state, holds } });
        },
      ],
      [
        'a runtime that answers a comment without a command line',
        /what the runtime wrote for a comment it must not answer/,
        async (event, recording) => {
          const parsed = commentCommands({ body: event.body, isPullRequest: true });
          if (parsed.commands.length + parsed.problems.length > 0 || isBot(event.author)) return;
          await recording.host.createComment(REPO, event.number, `@${event.author} no command here`);
        },
      ],
    ];

    it.each(SABOTAGE)('notices %s', async (_name, why, sabotage) => {
      const recording = recordingScmHost(h.host);
      const asks: Ask[] = [];
      const real = runtimeOver(recording.host, asks);
      const broken: ChatopsRuntime = {
        ...real,
        onComment: async (event, log) => {
          await real.onComment(event, log);
          await sabotage(event, recording);
        },
      };
      // The queue of the end-to-end run has keys too, some expiring: count only ChatOps's.
      const handle = recordedRunner(broken, recording, asks, `${PREFIX}:*`);
      // What the sabotage did is undone after, so that it does not leak into another test.
      const states = [stateKey(world.held.number), stateKey(world.fresh.number)];
      const saved = await h.redis.mget(...states);
      try {
        const result = await fc.check(
          fc.asyncProperty(invalidComments(BOTS), (comment) => handle(comment, syntheticId(), newTally())),
          { numRuns: 1_000, endOnFailure: true },
        );
        expect(result.failed).toBe(true);
        expect(String(result.errorInstance)).toMatch(why);
      } finally {
        await h.redis.mset(...states.flatMap((key, i) => [key, saved[i] ?? '']));
      }
    });
  });
});
