import { describe, expect, it } from 'vitest';
import { CdpClient, NulFramer, frame, type CdpEvent } from './cdpPipe.ts';

describe('CDP over a pipe', () => {
  it('splits NUL-ended messages across and within chunks', () => {
    const framer = new NulFramer();
    expect(framer.push(Buffer.from('{"a":1}\0{"b"'))).toEqual(['{"a":1}']);
    expect(framer.push(Buffer.from(':2'))).toEqual([]);
    expect(framer.push(Buffer.from('}\0{"c":3}\0'))).toEqual(['{"b":2}', '{"c":3}']);
    expect(framer.push(Buffer.from('\0'))).toEqual(['']);
  });

  it('keeps a multi-byte character split between chunks whole', () => {
    const framer = new NulFramer();
    const bytes = frame({ text: 'é' });
    const cut = bytes.indexOf(0xc3) + 1;
    expect(framer.push(bytes.subarray(0, cut))).toEqual([]);
    expect(framer.push(bytes.subarray(cut)).map((m) => JSON.parse(m))).toEqual([{ text: 'é' }]);
  });

  it('frames a command as JSON and a NUL', () => {
    const bytes = frame({ id: 1, method: 'Browser.getVersion', params: {} });
    expect(bytes.at(-1)).toBe(0);
    expect(JSON.parse(bytes.subarray(0, -1).toString())).toEqual({ id: 1, method: 'Browser.getVersion', params: {} });
  });

  it('matches answers to commands by id, out of order, and hands events on', async () => {
    const sent: Array<{ id: number; method: string; sessionId?: string }> = [];
    const events: CdpEvent[] = [];
    const client = new CdpClient((bytes) => sent.push(JSON.parse(bytes.subarray(0, -1).toString())), (event) => events.push(event));
    const first = client.send('Target.createTarget', { url: 'http://x/' });
    const second = client.send('Runtime.evaluate', { expression: '1' }, 'S1');
    expect(sent.map((m) => [m.id, m.method, m.sessionId])).toEqual([
      [1, 'Target.createTarget', undefined],
      [2, 'Runtime.evaluate', 'S1'],
    ]);
    client.receive(JSON.stringify({ method: 'Target.targetCrashed', params: { targetId: 'T9' } }));
    client.receive(JSON.stringify({ id: 2, result: { result: { value: 1 } } }));
    client.receive(JSON.stringify({ id: 1, result: { targetId: 'T1' } }));
    await expect(second).resolves.toEqual({ result: { value: 1 } });
    await expect(first).resolves.toEqual({ targetId: 'T1' });
    expect(events).toEqual([{ method: 'Target.targetCrashed', params: { targetId: 'T9' } }]);
  });

  it('rejects a command Chromium refused, naming the method', async () => {
    const client = new CdpClient(() => undefined);
    const answer = client.send('Target.attachToTarget', { targetId: 'gone' });
    client.receive(JSON.stringify({ id: 1, error: { code: -32602, message: 'No target with given id found' } }));
    await expect(answer).rejects.toThrow('Target.attachToTarget: No target with given id found');
  });

  it('fails pending and later commands once the browser is gone', async () => {
    const client = new CdpClient(() => undefined);
    const pending = client.send('Browser.getVersion');
    client.close(new Error('Chromium exited (SIGKILL)'));
    await expect(pending).rejects.toThrow('Chromium exited');
    await expect(client.send('Browser.getVersion')).rejects.toThrow('Chromium exited');
  });
});
