import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServerArgs } from './args.ts';

describe('parseServerArgs', () => {
  it('maps flags to options, with the environment as fallback for the port', () => {
    const parsed = parseServerArgs(
      ['--open', '--secret', 's'.repeat(20), '--token-ttl', '60', '--allow-origin', 'https://a.example,https://b.example', '--allow-origin', 'https://c.example', '--max-peers', '8', '--rate', '5', '--trust-proxy', '--no-metrics', '-q'],
      { PORT: '9000' },
    );
    expect(parsed).toEqual({
      help: false,
      options: {
        port: 9000,
        open: true,
        secret: 's'.repeat(20),
        tokenTtlSeconds: 60,
        allowOrigins: ['https://a.example', 'https://b.example', 'https://c.example'],
        maxPeersPerRoom: 8,
        rateLimit: { messagesPerSecond: 5 },
        trustProxy: true,
        metrics: false,
        quiet: true,
      },
    });
  });

  it('takes the data folder (made absolute) and the upload cap', () => {
    const parsed = parseServerArgs(['--data', 'some/dir', '--max-upload', '1024'], {});
    expect(parsed).toEqual({ help: false, options: { dataDir: path.resolve('some/dir'), maxUploadBytes: 1024, quiet: false } });
  });

  it('asks for help, and refuses bad values and unknown flags', () => {
    expect(parseServerArgs(['--help'], {})).toEqual({ help: true });
    expect(() => parseServerArgs(['--max-rooms', 'lots'], {})).toThrow(/--max-rooms expects a positive number/);
    expect(() => parseServerArgs(['--cert', 'c.pem'], {})).toThrow(/--cert and --key go together/);
    expect(() => parseServerArgs(['--opne'], {})).toThrow();
    expect(() => parseServerArgs(['--port', '70000'], {})).toThrow(/PORT must be/);
  });
});
