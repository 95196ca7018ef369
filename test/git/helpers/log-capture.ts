import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/logger/index.js';

/** A real pino logger whose JSON lines the test reads back. */
export function captureLogs(): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return { logger, lines, text: () => lines.join('\n') };
}
