/**
 * polymachine/cluster: machines across processes and hosts. A `Bus` exposes machines (`expose`), lists them
 * (`list`) and mirrors them (`machine(id)` → a lib/rpc `RemoteMachine`). `InProcessBus` needs no server;
 * `NatsBus` runs over a NATS server with JetStream (presence in a KV bucket). Actors cross too: `exposeActor` /
 * `actor(name)`, keyed virtual actors placed across nodes with `bus.keyed(name, options)` (a lease per key), and a
 * receptionist shared by every node (`ClusterReceptionist`). Message ids and W3C trace context ride in NATS headers
 * (`setClusterTracing`).
 * @module polymachine/cluster
 */
export type { Bus, Exposed, ExposeOptions, ListFilter, MachineInfo, MirrorOptions } from './bus.js'
export { InProcessBus } from './in-process-bus.js'
export { NatsBus, type NatsBusOptions } from './nats-bus.js'
export { NatsConnectionSchema, type NatsConnectionStateNames } from './nats-connection.schema.js'
export { NatsKvStore, type NatsKvStoreOptions } from './nats-kv-store.js'
export { ClusterError, RemoteActorError, type ClusterErrorCode } from './errors.js'
export { RemoteActorRef, type ExposedActor, type RemoteActorOptions } from './remote-actor.js'
export { ClusterKeyed, type ClusterKeyedOptions } from './keyed.js'
export { ClusterKeyedSchema, type ClusterKeyedStateNames } from './keyed.schema.js'
export { ClusterReceptionist, ServiceRef, type ClusterReceptionistOptions, type ServiceRegistration } from './receptionist.js'
export { setClusterTracing, type ClusterTracing, type MessageMeta, type ReceivedMessage } from './trace.js'
