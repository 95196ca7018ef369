import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cruise, twoWayFolderPairs } from './support/folder-pairs.js';

const root = join(import.meta.dirname, '..', '..');

describe('import directions between the folders of src/', () => {
  it('has no pair of folders importing each other (ARCHITECTURE.md: imports between folders go one way)', async () => {
    // A folder the lint guardrails write while they run is not the tree.
    const pairs = twoWayFolderPairs(await cruise(root, '--exclude', 'lint-probe-', 'src'));
    expect(pairs).toEqual([]);
  });
});
