/**
 * Everything of `NatsBus` that needs the NATS packages at run time. Loaded lazily by `NatsBus.connect()`, so
 * `polymachine/cluster` (and its `InProcessBus`) works without the optional peers `@nats-io/*` installed.
 */
export { connect as natsConnect, headers } from '@nats-io/transport-node'
export { ClientPort, idToken, isNoResponders, KIND_HEADER, machineSubject, SessionRouter } from './nats-port.js'
export { Presence } from './presence.js'
export { NatsLeases } from './lease-nats.js'
