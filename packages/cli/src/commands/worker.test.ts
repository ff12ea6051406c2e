import { describe, expect, it } from 'vitest';
import { tabUrl } from './worker.ts';

describe('tabUrl', () => {
  it("keeps the link's room and token, and gives each tab a name and slots", () => {
    const base = new URL('http://192.168.1.5:8080/worker.html?room=r&token=shoal1.r.worker.1767225600.abc_-');
    const url = tabUrl(base, 2, 3, 4);
    expect(url.searchParams.get('room')).toBe('r');
    expect(url.searchParams.get('token')).toBe('shoal1.r.worker.1767225600.abc_-');
    expect(url.searchParams.get('name')).toMatch(/-2$/);
    expect(url.searchParams.get('slots')).toBe('4');
    expect(url.searchParams.get('ui')).toBe('0'); // headless: nothing drawn
    expect(tabUrl(new URL('http://h/worker.html?room=r&ui=1'), 0, 1).searchParams.get('ui')).toBe('1');
    expect(tabUrl(new URL('http://h/worker.html?room=r&name=lab'), 1, 1).searchParams.get('name')).toBe('lab');
  });
});
