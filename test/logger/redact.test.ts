import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger/index.js';

function capture() {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), text: () => text };
}

describe('logger redaction', () => {
  it("blanks a GitHub App's private key wherever a log line carries it, and tokens as before", () => {
    const { logger, text } = capture();
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----';
    logger.info({ privateKey: pem }, 'top level');
    logger.info({ app: { appId: '1', privateKey: pem } }, 'nested');
    logger.info({ github: { app: { privateKey: pem } } }, 'deeper');
    logger.info(
      { config: { github: { app: { appId: '1', installationId: 2, privateKey: pem } } } },
      'config',
    );
    logger.info({ auth: { token: 'ghs_abcdef0123456789' } }, 'token');
    expect(text()).not.toContain('PRIVATE KEY');
    expect(text()).not.toContain('MIIEvQIBADANBgkq');
    expect(text()).not.toContain('ghs_abcdef0123456789');
    expect(text().match(/\[redacted\]/g)).toHaveLength(5);
  });
});
