import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors/index.js';
import { createGiteaClient } from '../../src/hosts/gitea/scm/gitea-client.js';
import { createLogger } from '../../src/logger/index.js';

/** A list endpoint answering full pages of 50 for every page asked, as a list longer than promobot reads would. */
function endless(total: number | null) {
  let asked = 0;
  const fetchPage: typeof fetch = (input) => {
    asked += 1;
    const page = Number(
      new URL(String(input instanceof Request ? input.url : input)).searchParams.get('page'),
    );
    const items = Array.from({ length: 50 }, (_, i) => ({ id: (page - 1) * 50 + i + 1 }));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (total !== null) headers['x-total-count'] = String(total);
    return Promise.resolve(new Response(JSON.stringify(items), { status: 200, headers }));
  };
  const client = createGiteaClient({
    baseUrl: 'http://gitea.invalid',
    token: 't',
    logger: createLogger({ level: 'silent' }),
    fetch: fetchPage,
  });
  return { client, asked: () => asked };
}

describe('the Gitea client reading a list page by page', () => {
  it('stops at the total Gitea announces', async () => {
    const { client, asked } = endless(120);
    expect(await client.paginate('/repos/o/r/issues/comments', z.object({ id: z.number() }))).toHaveLength(
      150,
    );
    expect(asked()).toBe(3);
  });

  it('fails, never returns a short list, when the list is longer than 1,000 pages', async () => {
    const { client, asked } = endless(null);
    const read = client.paginate('/repos/o/r/issues/comments', z.object({ id: z.number() }));
    await expect(read).rejects.toThrow(PermanentError);
    await expect(read).rejects.toThrow(/lists more than 50000 entries/);
    expect(asked()).toBe(1000);
  });
});
