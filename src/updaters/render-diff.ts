import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { FileUpdate } from './file-update.js';

/**
 * The unified diff of changed files, as `git diff` writes it (`diff --git a/… b/…`, `---`/`+++`, three lines of
 * context), so `git apply` takes it and a reviewer reads it like any other. Empty when nothing changed.
 */
export function renderDiff(
  changed: readonly Pick<Extract<FileUpdate, { status: 'changed' }>, 'path' | 'before' | 'text'>[],
): string {
  return changed
    .map((file) => {
      const patch = createTwoFilesPatch(
        `a/${file.path}`,
        `b/${file.path}`,
        file.before,
        file.text,
        undefined,
        undefined,
        {
          context: 3,
          headerOptions: FILE_HEADERS_ONLY,
        },
      );
      return `diff --git a/${file.path} b/${file.path}\n${patch.endsWith('\n') ? patch : `${patch}\n`}`;
    })
    .join('');
}
