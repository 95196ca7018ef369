import { describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/redis/keys.js';

// The keys are stored state: a worker after an upgrade must find what the one before it wrote. Each is listed
// here byte for byte as the code wrote it before the keys were gathered in one module.
describe('redis keys', () => {
  const keys = redisKeys('promobot');

  it('builds every key promobot writes, unchanged', () => {
    expect({
      jobKey: keys.jobKey('events', 'gitea-3f2a'),
      gatesHead: keys.gatesHead('team/deploy', 12),
      gatesState: keys.gatesState('team/deploy', 12, 'a1b2c3'),
      watchCurrent: keys.watchCurrent('chat', 'chat-ui', 'prod'),
      watchState: keys.watchState('chat', 'chat-ui', 'prod', 'd4e5f6'),
      chatopsState: keys.chatopsState('gitea', 'Team/Deploy', 12),
      chatopsSeq: keys.chatopsSeq('gitea', 'Team/Deploy', 12),
      chatopsLock: keys.chatopsLock('github', 'Team/Deploy', 12),
      chatopsComment: keys.chatopsComment('gitea', 'Team/Deploy', 9001),
      pending: keys.pending('gitea_team_deploy_main'),
      landed: keys.landed('gitea_team_deploy_main'),
      gitLock: keys.gitLock('0123abcd'),
      appLock: keys.appLock('chat', 'chat-ui'),
      reconciled: keys.reconciled('chat', 'chat-ui'),
      pushed: keys.pushed('chat', 'chat-ui'),
      requested: keys.requested('chat', 'chat-ui', 'rollback', 'prod'),
      requestedEarlier: keys.requestedEarlier('chat', 'chat-ui'),
      boardApps: keys.boardApps(),
      boardEvents: keys.boardEvents(),
      boardRounds: keys.boardRounds('team/deploy', 12, 'a1b2c3'),
      rollout: keys.rollout('chat', 'chat-ui', 'staging'),
      rolloutPoke: keys.rolloutPoke('chat', 'chat-ui', 'staging'),
      rolloutWatch: keys.rolloutWatch('chat', 'chat-ui', 'prod'),
      rolloutPublished: keys.rolloutPublished('team/deploy', 12),
      notifyRate: keys.notifyRate('chat', 'ops-slack', 29_447_040),
      globalStops: keys.globalStops('gitea', 'Team/Deploy'),
      globalStopsLock: keys.globalStopsLock('github', 'Team/Deploy'),
      waitingSince: keys.waitingSince('Team/Deploy', 12, 'a1b2c3'),
      freezePublished: keys.freezePublished('Team/Deploy', 12),
    }).toEqual({
      jobKey: 'promobot:events:gitea-3f2a',
      gatesHead: 'promobot:gates:head:team/deploy:12',
      gatesState: 'promobot:gates:state:team/deploy:12:a1b2c3',
      watchCurrent: 'promobot:watch:current:chat:chat-ui:prod',
      watchState: 'promobot:watch:state:chat:chat-ui:prod:d4e5f6',
      chatopsState: 'promobot:chatops:gitea:team/deploy:12:state',
      chatopsSeq: 'promobot:chatops:gitea:team/deploy:12:seq',
      chatopsLock: 'promobot:chatops:github:team/deploy:12:lock',
      chatopsComment: 'promobot:chatops:comment:gitea:team/deploy:9001',
      pending: 'promobot:pending:gitea_team_deploy_main',
      landed: 'promobot:landed:gitea_team_deploy_main',
      gitLock: 'promobot:git-lock:0123abcd',
      appLock: 'promobot:app-lock:chat:chat-ui',
      reconciled: 'promobot:reconciled:chat:chat-ui',
      pushed: 'promobot:pushed:chat:chat-ui',
      requested: 'promobot:requested:chat:chat-ui:rollback:prod',
      requestedEarlier: 'promobot:requested:chat:chat-ui',
      boardApps: 'promobot:board:apps',
      boardEvents: 'promobot:board:events',
      boardRounds: 'promobot:board:rounds:team/deploy:12:a1b2c3',
      rollout: 'promobot:rollout:chat:chat-ui:staging',
      rolloutPoke: 'promobot:rollout-poke:chat:chat-ui:staging',
      rolloutWatch: 'promobot:rollout-watch:chat:chat-ui:prod',
      rolloutPublished: 'promobot:rollout-published:team/deploy#12',
      notifyRate: 'promobot:notify:rate:chat:ops-slack:29447040',
      globalStops: 'promobot:stops:gitea:team/deploy',
      globalStopsLock: 'promobot:stops:github:team/deploy:lock',
      waitingSince: 'promobot:waiting-since:team/deploy:12:a1b2c3',
      freezePublished: 'promobot:freeze-published:team/deploy:12',
    });
  });

  it('lists every key it builds in the test above', () => {
    // A key added to the module without a line here fails, so none goes unlisted.
    expect(Object.keys(keys).sort()).toEqual(
      [
        'appLock',
        'boardApps',
        'boardEvents',
        'boardRounds',
        'chatopsComment',
        'chatopsLock',
        'chatopsSeq',
        'chatopsState',
        'gatesHead',
        'gatesState',
        'freezePublished',
        'gitLock',
        'globalStops',
        'globalStopsLock',
        'jobKey',
        'notifyRate',
        'landed',
        'pending',
        'pushed',
        'reconciled',
        'requested',
        'requestedEarlier',
        'rollout',
        'rolloutPoke',
        'rolloutPublished',
        'rolloutWatch',
        'waitingSince',
        'watchCurrent',
        'watchState',
      ].sort(),
    );
  });

  it('puts everything under the configured prefix', () => {
    const other = redisKeys('staging-bot');
    expect(other.appLock('chat', 'chat-ui')).toBe('staging-bot:app-lock:chat:chat-ui');
    expect(other.jobKey('reconcile', 'recheck-chat-chat-ui-1')).toBe(
      'staging-bot:reconcile:recheck-chat-chat-ui-1',
    );
    expect(other.chatopsComment('github', 'A/B', 1)).toBe('staging-bot:chatops:comment:github:a/b:1');
  });
});
