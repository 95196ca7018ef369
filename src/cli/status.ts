import { parseArgs } from 'node:util';
import { createBoardStore, namedBoards, renderStatus } from '../board/index.js';
import { createPolicyStore } from '../policy/index.js';
import { connectRedis } from '../redis/index.js';
import type { Command } from './command.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'print the release board (what runs where, open promotions) in the terminal',
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.stdout(
        [
          'Usage: promobot status [app]',
          '',
          'Prints what each environment runs and every open promotion, as the worker last published them to Redis',
          '(the same data as the board at GET / on serve). With an app, only that app and its recent history.',
          '',
        ].join('\n'),
      );
      return 0;
    }
    const [app] = positionals;
    const config = io.config();
    const logger = io.logger(config).child({ role: 'status' });
    const policies = createPolicyStore({ dir: config.policiesDir, logger });
    await policies.load();
    const redis = connectRedis(config.redisUrl, { kind: 'probe', connectTimeoutMs: 2000 });
    try {
      await redis.connect();
      const all = namedBoards(
        await createBoardStore(redis, config.queuePrefix, logger).readAll(),
        policies.current(),
      );
      const boards = app === undefined ? all : all.filter((b) => b.app === app);
      const environments: string[] = [];
      for (const policy of policies.current())
        for (const env of policy.spec.environments)
          if (!environments.includes(env.name)) environments.push(env.name);
      io.stdout(renderStatus(boards, environments, Date.now(), app));
      return app !== undefined && boards.length === 0 ? 1 : 0;
    } finally {
      redis.disconnect();
    }
  },
};
