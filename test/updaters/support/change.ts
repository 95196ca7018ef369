import type { ImageChange } from '../../../src/updaters/index.js';

export const IMAGE = 'harbor.example.com/bootcamp/chat-ui';
export const OLD = '1a2b3c4';
export const NEW = '3f9c2ab';
export const DIGEST = `sha256:${'d'.repeat(64)}`;
export const STALE_DIGEST = `sha256:${'0'.repeat(64)}`;

/** The change a push of chat-ui:3f9c2ab asks for, with overrides. */
export function change(overrides: Partial<ImageChange> = {}): ImageChange {
  return { app: 'chat-ui', image: IMAGE, tag: NEW, pinDigest: false, ...overrides };
}

/** Joins lines with CRLF, for files written on Windows. */
export function crlf(text: string): string {
  return text.replaceAll('\n', '\r\n');
}
