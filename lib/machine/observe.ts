/**
 * rxjs views of a machine: `transitions$`, `state$(state)`, `ticks$(state)`. Created on first use; a machine nobody
 * observes pays nothing. All complete when the machine is disposed.
 */
import { Observable, Subject } from 'rxjs'
import type { Core } from './core.js'
import { followState } from './waiters.js'
import type { TransitionInfo } from './events.js'

export class Observers {
  private readonly core: Core
  private readonly subject = new Subject<TransitionInfo>()
  private subscribers = 0
  readonly transitions$: Observable<TransitionInfo>

  constructor(core: Core) {
    this.core = core
    this.transitions$ = new Observable<TransitionInfo>((sub) => {
      if (core.disposed) {
        sub.complete()
        return undefined
      }
      const inner = this.subject.subscribe(sub)
      this.subscribers++
      core.refreshWantsTx()
      return () => {
        inner.unsubscribe()
        this.subscribers--
        core.refreshWantsTx()
      }
    })
  }

  wantsTx(): boolean {
    return this.subscribers > 0
  }

  transition(tx: TransitionInfo): void {
    if (this.subscribers > 0) this.subject.next(tx)
  }

  complete(): void {
    this.subject.complete()
  }
}

export function observers(core: Core): Observers {
  return (core.observers ??= new Observers(core))
}

/** Emits `read(i)` now and after every change of state `i` (when the value differs); completes on dispose. */
function stateStream<T>(core: Core, i: number, read: () => T): Observable<T> {
  return new Observable<T>((sub) => {
    if (core.disposed) {
      sub.complete()
      return undefined
    }
    return followState(core, i, read, (v) => sub.next(v), () => sub.complete())
  })
}

export function state$(core: Core, i: number): Observable<boolean> {
  return stateStream(core, i, () => core.isActive(i))
}

export function ticks$(core: Core, i: number): Observable<number> {
  return stateStream(core, i, () => core.clock[i] as number)
}
