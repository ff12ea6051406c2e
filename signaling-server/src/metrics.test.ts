import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.ts';

describe('Metrics', () => {
  it('renders Prometheus text with HELP, TYPE, gauges, counters and sorted labels', () => {
    const metrics = new Metrics();
    metrics.messagesIn = 7;
    Metrics.count(metrics.rejections, 'ERR_RATE_LIMITED', 2);
    Metrics.count(metrics.rejections, 'ERR_BAD_MESSAGE');
    Metrics.count(metrics.drops, 'quote"and\\slash');
    const text = metrics.render({ connections: 3, rooms: 1, peers: 2 }, { rss: 100, heapUsed: 50 } as NodeJS.MemoryUsage);
    expect(text).toContain('# HELP shoal_signaling_connections Open WebSocket connections.\n# TYPE shoal_signaling_connections gauge\nshoal_signaling_connections 3\n');
    expect(text).toContain('# TYPE shoal_signaling_messages_in_total counter\nshoal_signaling_messages_in_total 7\n');
    expect(text).toContain('shoal_signaling_rejections_total{code="ERR_BAD_MESSAGE"} 1\nshoal_signaling_rejections_total{code="ERR_RATE_LIMITED"} 2\n');
    expect(text).toContain('shoal_signaling_drops_total{reason="quote\\"and\\\\slash"} 1');
    expect(text).toContain('process_resident_memory_bytes 100\n');
    expect(metrics.rejected).toBe(3);
    // Every sample line is `name{labels} value` or `name value`.
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{\w+="(?:[^"\\]|\\.)*"\})? \d+)$/);
  });
});
