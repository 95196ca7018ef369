import { z } from 'zod';
import type { Config } from '../../config/index.js';
import { errorMessage } from '../../errors/index.js';
import { adviseHookFailure } from '../ports/advise.js';
import type { DoctorCheck } from '../ports/doctor-check.js';
import { harborClientFor } from './client.js';

/** Harbor answers `/api/v2.0/ping`, and accepts `HARBOR_USERNAME`/`HARBOR_PASSWORD` when they are set. */
export async function checkHarbor(config: Config, timeoutMs: number): Promise<DoctorCheck[]> {
  const url = config.harbor.url;
  const api = harborClientFor(config, timeoutMs);
  if (url === undefined || api === undefined) {
    return [
      {
        group: 'Harbor',
        name: 'HARBOR_URL',
        status: 'skip',
        detail: 'not set: promobot only receives Harbor webhooks, and webhooks sync skips Harbor',
      },
    ];
  }
  const { username, password } = config.harbor;
  const auth = username !== undefined && password !== undefined;
  try {
    await api.request('GET', '/ping', z.unknown());
  } catch (error) {
    return [
      {
        group: 'Harbor',
        name: url,
        status: 'fail',
        detail: errorMessage(error),
        fix: adviseHookFailure('harbor', '', error),
      },
    ];
  }
  const checks: DoctorCheck[] = [
    { group: 'Harbor', name: url, status: 'pass', detail: 'answers /api/v2.0/ping' },
  ];
  if (auth) {
    try {
      const { data } = await api.request('GET', '/users/current', z.object({ username: z.string() }));
      checks.push({
        group: 'Harbor',
        name: 'credentials',
        status: 'pass',
        detail: `signed in as ${data.username}`,
      });
    } catch (error) {
      checks.push({
        group: 'Harbor',
        name: 'credentials',
        status: 'fail',
        detail: errorMessage(error),
        fix: 'set HARBOR_USERNAME and HARBOR_PASSWORD to a user or robot account Harbor accepts',
      });
    }
  }
  return checks;
}
