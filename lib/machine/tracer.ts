/** The tracer interface: hooks into a machine's life, for debuggers, telemetry and tests. */
import type { MutationInfo, TransitionInfo } from './events.js'
import type { Machine } from './machine.js'

/**
 * Hooks into a machine's life. Every method is optional and called synchronously; a hook that throws is reported,
 * never propagated into the machine.
 *
 * ```ts
 * const tracer: Tracer = { transitionEnd: (tx) => console.log(`${tx}`, tx.accepted ? 'accepted' : tx.canceledBy) }
 * const mach = new Machine(ss, { tracers: [tracer] })
 * ```
 */
export interface Tracer {
  machineInit?(mach: Machine<string>): void
  newSubmachine?(parent: Machine<string>, child: Machine<string>): void
  mutationQueued?(mach: Machine<string>, mutation: MutationInfo): void
  transitionInit?(tx: TransitionInfo): void
  transitionStart?(tx: TransitionInfo): void
  handlerStart?(tx: TransitionInfo, bindingId: string, name: string): void
  handlerEnd?(tx: TransitionInfo, bindingId: string, name: string): void
  transitionEnd?(tx: TransitionInfo): void
  queueEnd?(mach: Machine<string>): void
  machineDispose?(id: string): void
}
