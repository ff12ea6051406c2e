/** A CDP CPU profile summed by function, self and total time (for the scale probes). */
import type { CDPSession } from 'playwright-core';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }

export async function startProfile(session: CDPSession): Promise<() => Promise<{ self: string[]; total: string[] }>> {
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 200 });
  await session.send('Profiler.start');
  return async () => {
    const { profile } = (await session.send('Profiler.stop')) as unknown as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const self = new Map<string, number>();
    const total = new Map<string, number>();
    const name = (n: ProfileNode) => `${n.callFrame.functionName || '(anon)'}@${n.callFrame.url.split('/').pop()}`;
    profile.samples.forEach((id, k) => {
      const ms = (profile.timeDeltas[k] ?? 0) / 1000;
      const key = name(nodes.get(id)!);
      self.set(key, (self.get(key) ?? 0) + ms);
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const k2 = name(nodes.get(at)!);
        if (!seen.has(k2)) total.set(k2, (total.get(k2) ?? 0) + ms);
        seen.add(k2);
      }
    });
    const top = (m: Map<string, number>, k: number) => [...m].filter(([n]) => !/^\((idle|root)\)/.test(n)).sort((a, b) => b[1] - a[1]).slice(0, k).map(([n, ms]) => `${n} ${ms.toFixed(0)}ms`);
    return { self: top(self, 12), total: top(total, 25) };
  };
}
