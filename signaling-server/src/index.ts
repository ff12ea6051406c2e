/** @shoal/signaling-server: rooms, join tokens, SDP/ICE relay, and the built apps over HTTP(S). Node only. */
export { startSignalingServer } from './server.ts';
export type { RunningServer, ServerStats } from './server.ts';
export { DEFAULT_PORT, DEFAULT_STATIC_DIR, DEFAULT_DATA_DIR, DEFAULT_MAX_UPLOAD_BYTES } from './options.ts';
export { GrantSigner, GRANT_VERSION, DEFAULT_GRANT_TTL_SECONDS } from './dataGrants.ts';
export type { GrantClaims, GrantKind, GrantCheck } from './dataGrants.ts';
export { WRITE_MODES } from './dataEndpoint.ts';
export type { WriteMode } from './dataEndpoint.ts';
export type { ServerOptions } from './options.ts';
export { TokenIssuer, signToken, verifyToken, secretFrom, TOKEN_VERSION, DEFAULT_TOKEN_TTL_SECONDS } from './tokens.ts';
export type { TokenClaims, TokenCheck, TokenRefusal, RoomGrant } from './tokens.ts';
export { DEFAULT_RATE_LIMIT } from './rateLimit.ts';
export type { RateLimitOptions } from './rateLimit.ts';
export { jsonLinesTo } from './log.ts';
export type { LogSink } from './log.ts';
export { iceFromFlags, mergeIce, parseIceJson, mintTurnCredential, iceServersFor, resolveIce, DEFAULT_TURN_TTL_SECONDS } from './ice.ts';
export type { IceOptions, IceServer, TurnSecretOptions, ResolvedIce } from './ice.ts';
export type { RevokeResult } from './revokeEndpoint.ts';
