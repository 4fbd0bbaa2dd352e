/**
 * polymachine/rpc: remote machines. `serve(machine)` exposes a machine over TCP, WebSocket (both optionally over TLS)
 * or MessagePorts, `serveMux()` several on one address; `connect(target)` returns a `RemoteMachine` mirroring it
 * (local reads, waiters and final handlers; remote mutations with real results).
 * The wire protocol is documented in docs/protocol-rpc.md.
 * @module polymachine/rpc
 */
export { serve, RpcServer, type ServeOptions } from './server.js'
export type { AccessOptions, Authenticate, HelloInfo } from './access.js'
export type { RateLimit } from './rate.js'
export { connect, type ConnectOptions } from './client.js'
export { serveMux, RpcMux, type MuxOptions } from './mux.js'
export { backoffDelay, type Backoff } from './reconnect.js'
export { RemoteMachine } from './remote.js'
export type { CheckMirrorHandlers, MirrorView } from './mirror-view.js'
export type { MirrorEvent, UpdateCause } from './mirror-handlers.js'
export type { CallOptions } from './requests.js'
export { ServerSchema, type ServerStateNames } from './server.schema.js'
export { ClientSchema, type ClientStateNames } from './client.schema.js'
export { MuxSchema, type MuxStateNames } from './mux.schema.js'
export { RpcError, RemoteError, isRpcErrorCode, type RpcErrorCode } from './errors.js'
export { Msg, MutationKind, PROTOCOL_VERSION, parseMessage, toWire, type Message, type WireState } from './protocol.js'
export { encode, encodeFrame, decode, FrameReader, DEFAULT_MAX_FRAME } from './codec.js'
export { checksum } from './clock.js'
export { currentRemoteTrace, traceContextOf, type RemoteTrace, type RemoteTraceContext } from './trace-context.js'
export { schemaHash, schemaToWire, schemaFromWire } from './schema-wire.js'
