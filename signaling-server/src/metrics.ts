/**
 * The server's counters, and `GET /metrics` in the Prometheus text format
 * (version 0.0.4). Counters only grow; gauges (connections, rooms, peers,
 * memory) are read when the page is rendered. Labels are closed sets (error
 * codes, close reasons), never room names or addresses, so the page stays
 * small whatever clients send.
 *
 *   # HELP shoal_signaling_rejections_total Client messages refused, by error code.
 *   # TYPE shoal_signaling_rejections_total counter
 *   shoal_signaling_rejections_total{code="ERR_BAD_MESSAGE"} 3
 */

export interface Gauges {
  connections: number;
  rooms: number;
  peers: number;
}

type Labelled = Map<string, number>;

export class Metrics {
  /** WebSocket connections accepted since start. */
  connectionsTotal = 0;
  /** Frames received from clients (valid or not, rate-limited ones included). */
  messagesIn = 0;
  bytesIn = 0;
  /** Messages sent to clients. */
  messagesOut = 0;
  bytesOut = 0;
  /** Client messages that parsed and were handled. */
  messagesHandled = 0;
  /** Client messages answered with an `error` (by code). */
  readonly rejections: Labelled = new Map();
  /** Joins accepted (by role). */
  readonly joins: Labelled = new Map();
  /** Joins refused for their token (by reason: missing, malformed, signature, room, role, expired). */
  readonly authFailures: Labelled = new Map();
  /** Sockets the server closed or dropped (by reason). */
  readonly drops: Labelled = new Map();
  /** WebSocket upgrades refused before a connection existed (by reason). */
  readonly upgradesRefused: Labelled = new Map();
  /** Rooms created through `POST /rooms` or `createRoom()`. */
  roomsCreated = 0;
  /** Messages whose handling threw (answered ERR_INTERNAL): should stay 0. */
  internalErrors = 0;

  get rejected(): number {
    let total = 0;
    for (const n of this.rejections.values()) total += n;
    return total;
  }

  static count(map: Labelled, label: string, n = 1): void {
    map.set(label, (map.get(label) ?? 0) + n);
  }

  /** The Prometheus text page. */
  render(gauges: Gauges, memory: NodeJS.MemoryUsage = process.memoryUsage()): string {
    const out: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number | Labelled, label = ''): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      if (typeof value === 'number') out.push(`${name} ${value}`);
      else for (const [key, n] of [...value].sort(([a], [b]) => a.localeCompare(b))) out.push(`${name}{${label}="${escapeLabel(key)}"} ${n}`);
    };
    metric('shoal_signaling_connections', 'gauge', 'Open WebSocket connections.', gauges.connections);
    metric('shoal_signaling_rooms', 'gauge', 'Rooms with at least one peer.', gauges.rooms);
    metric('shoal_signaling_peers', 'gauge', 'Peers joined to a room.', gauges.peers);
    metric('shoal_signaling_connections_total', 'counter', 'WebSocket connections accepted.', this.connectionsTotal);
    metric('shoal_signaling_messages_in_total', 'counter', 'Frames received from clients.', this.messagesIn);
    metric('shoal_signaling_bytes_in_total', 'counter', 'Bytes received from clients.', this.bytesIn);
    metric('shoal_signaling_messages_handled_total', 'counter', 'Client messages that were valid and handled.', this.messagesHandled);
    metric('shoal_signaling_messages_out_total', 'counter', 'Messages sent to clients.', this.messagesOut);
    metric('shoal_signaling_bytes_out_total', 'counter', 'Bytes sent to clients.', this.bytesOut);
    metric('shoal_signaling_rejections_total', 'counter', 'Client messages refused, by error code.', this.rejections, 'code');
    metric('shoal_signaling_joins_total', 'counter', 'Joins accepted, by role.', this.joins, 'role');
    metric('shoal_signaling_auth_failures_total', 'counter', 'Joins refused for their token, by reason.', this.authFailures, 'reason');
    metric('shoal_signaling_drops_total', 'counter', 'Sockets closed by the server, by reason.', this.drops, 'reason');
    metric('shoal_signaling_upgrades_refused_total', 'counter', 'WebSocket upgrades refused, by reason.', this.upgradesRefused, 'reason');
    metric('shoal_signaling_rooms_created_total', 'counter', 'Rooms created (POST /rooms or createRoom).', this.roomsCreated);
    metric('shoal_signaling_internal_errors_total', 'counter', 'Client messages whose handling failed in the server (a bug).', this.internalErrors);
    metric('process_resident_memory_bytes', 'gauge', 'Resident set size in bytes.', memory.rss);
    metric('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use, in bytes.', memory.heapUsed);
    return `${out.join('\n')}\n`;
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
