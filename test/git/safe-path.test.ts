import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors/index.js';
import { safeRelativePath } from '../../src/git/index.js';

describe('git/safeRelativePath()', () => {
  it('normalizes harmless relative paths', () => {
    expect(safeRelativePath('chat-ui/dev/deployment.yaml')).toBe('chat-ui/dev/deployment.yaml');
    expect(safeRelativePath('./chat-ui//dev/./kustomization.yaml')).toBe('chat-ui/dev/kustomization.yaml');
    expect(safeRelativePath('')).toBe('');
  });

  it.each([
    '../x',
    'a/../../x',
    'a/..',
    '/etc/passwd',
    'C:/x',
    'a\\..\\x',
    '.git/config',
    'a/.GIT/hooks/x',
    'a\0b',
  ])('refuses %j', (path) => {
    expect(() => safeRelativePath(path)).toThrow(PermanentError);
  });
});
