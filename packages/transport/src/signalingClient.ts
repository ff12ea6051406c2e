/**
 * The browser's side of the signaling server: join a room, learn who is there,
 * and relay SDP/ICE to one peer. Task data never passes through here.
 *
 * A join carries the room's token (from the link the page was opened with);
 * the server refuses a missing, wrong or expired one with ERR_UNAUTHORIZED or
 * ERR_TOKEN_EXPIRED (or ERR_TOKEN_REVOKED), which `join` rejects with. The
 * welcome also carries the ICE servers the server is configured with.
 */
import {
  ShoalError,
  parseSignalingServerMessage,
  type IceServer,
  type PeerInfo,
  type Role,
  type SignalingClientMessage,
} from '@shoal/protocol';
import { Emitter } from './emitter.ts';

export type SignalingState =
  | { kind: 'connecting' }
  | { kind: 'joined'; peerId: string; room: string }
  | { kind: 'closed'; reason: string };

export type SignalingEvents = {
  peerJoined: [peer: PeerInfo];
  peerLeft: [peerId: string];
  signal: [from: string, data: Record<string, unknown>];
  error: [error: ShoalError];
  closed: [reason: string];
};

export interface JoinOptions {
  /** ws:// or wss:// URL of the server's `/ws` endpoint. */
  url: string;
  room: string;
  role: Role;
  name?: string | undefined;
  /**
   * The join token for this room and role. When absent, a `token` query
   * parameter on `url` is used instead (see `signalingUrlFor`), so code that
   * only passes a URL along can carry one; it is taken off the URL before
   * connecting, so it travels in the join message and never in a request line.
   */
  token?: string | undefined;
}

export interface Welcome {
  peerId: string;
  room: string;
  peers: PeerInfo[];
  /** STUN/TURN servers the server is configured with (TURN credentials minted for this join); empty: host candidates only. */
  iceServers: IceServer[];
}

export class SignalingClient extends Emitter<SignalingEvents> {
  state: SignalingState = { kind: 'connecting' };
  private readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    super();
    this.socket = socket;
  }

  /** Opens the socket and joins; resolves with the server's welcome. */
  static join(options: JoinOptions): Promise<{ client: SignalingClient; welcome: Welcome }> {
    return new Promise((resolve, reject) => {
      const { url, token } = splitToken(options.url, options.token);
      const socket = new WebSocket(url);
      const client = new SignalingClient(socket);
      let welcomed = false;
      socket.onopen = () => {
        client.send({ type: 'join', room: options.room, role: options.role, name: options.name, ...(token === undefined ? {} : { token }) });
      };
      socket.onmessage = (event) => {
        const parsed = parseSignalingServerMessage(String(event.data));
        if (!parsed.ok) return client.emit('error', parsed.error);
        const msg = parsed.value;
        switch (msg.type) {
          case 'welcome':
            welcomed = true;
            client.state = { kind: 'joined', peerId: msg.peerId, room: msg.room };
            resolve({ client, welcome: { peerId: msg.peerId, room: msg.room, peers: msg.peers, iceServers: msg.iceServers ?? [] } });
            return;
          case 'peerJoined':
            return client.emit('peerJoined', msg.peer);
          case 'peerLeft':
            return client.emit('peerLeft', msg.peerId);
          case 'signal':
            return client.emit('signal', msg.from, msg.data);
          case 'error': {
            const error = new ShoalError(msg.code, `signaling server: ${msg.message}`);
            if (!welcomed) reject(error);
            client.emit('error', error);
            // Revoked: the server closes the socket next, but the closing handshake can lag behind a busy tab; this link is over now.
            if (welcomed && msg.code === 'ERR_TOKEN_REVOKED') client.close(`ERR_TOKEN_REVOKED: ${msg.message}`);
            return;
          }
          case 'shutdown':
            return client.close(`server shut down: ${msg.message}`);
        }
      };
      socket.onclose = (event) => {
        const reason = event.reason || `socket closed (${event.code})`;
        if (!welcomed) reject(new ShoalError('ERR_NOT_JOINED', `could not join room '${options.room}': ${reason}`));
        client.markClosed(reason);
      };
    });
  }

  get peerId(): string | null {
    return this.state.kind === 'joined' ? this.state.peerId : null;
  }

  sendSignal(to: string, data: Record<string, unknown>): void {
    this.send({ type: 'signal', to, data });
  }

  close(reason = 'left'): void {
    if (this.state.kind === 'closed') return;
    if (this.socket.readyState === WebSocket.OPEN) this.send({ type: 'leave' });
    this.socket.close(1000, reason.slice(0, 120));
    this.markClosed(reason);
  }

  private send(msg: SignalingClientMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  private markClosed(reason: string): void {
    if (this.state.kind === 'closed') return;
    this.state = { kind: 'closed', reason };
    this.emit('closed', reason);
  }
}

/** The `/ws` URL of the server that served this page, carrying `token` (for `SignalingClient.join`) when given. */
export function signalingUrlFor(location: Location, token?: string | null): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}//${location.host}/ws${query}`;
}

/** The URL to connect to (without a `token` parameter) and the token to join with. */
export function splitToken(url: string, token: string | undefined): { url: string; token: string | undefined } {
  const parsed = new URL(url);
  const fromUrl = parsed.searchParams.get('token');
  if (fromUrl === null) return { url, token };
  parsed.searchParams.delete('token');
  return { url: parsed.href, token: token ?? (fromUrl === '' ? undefined : fromUrl) };
}
