/**
 * Abort reasons of the core's signals: a state signal aborts when its state's tick moves on, an event's signal when
 * its transition ends. Both are `AbortError` DOMExceptions, as `AbortSignal.abort()` gives by default, with a message
 * that names the machine and what changed.
 */

/** The reason of a state signal (`stateSignal`, a `FooState` handler's `e.signal`) aborted by a tick. */
export function stateChanged(machineId: string, state: string): DOMException {
  return new DOMException(`machine ${machineId}: state ${state} changed`, 'AbortError')
}

/** The reason of a handler event's signal once its transition (`[add] A`, as `Tx.toString()`) ended. */
export function transitionEnded(machineId: string, transition: string): DOMException {
  return new DOMException(`machine ${machineId}: transition ${transition} ended`, 'AbortError')
}
