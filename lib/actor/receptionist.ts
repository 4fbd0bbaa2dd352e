/**
 * The receptionist: which actors offer which service. Registration is by typed service key; an actor is
 * deregistered automatically when it stops; `subscribe` streams the current set on every change.
 */
import { BehaviorSubject, type Observable } from 'rxjs'
import { InvalidArgumentError } from '../machine/index.js'
import { ActorTerminatedError, DuplicateRegistrationError } from './errors.js'
import { localRef } from './ref.js'
import { keyName, type ServiceKey } from './service-key.js'
import type { OverflowPolicy } from './mailbox.js'
import type { ActorLike, ActorRef } from './types.js'

export class Receptionist {
  private readonly byKey = new Map<string, BehaviorSubject<readonly ActorRef[]>>()

  /** Registers `ref` under `key`. Throws `DuplicateRegistrationError` when it already is, and for a stopped actor. */
  register<M extends string, H, P extends OverflowPolicy>(key: ServiceKey<M, H>, ref: ActorRef<M, H, P, string>): void {
    const name = keyName('receptionist.register()', key)
    if (!isRef(ref)) throw new InvalidArgumentError('receptionist.register()', 'ref', 'an actor ref (from spawn() or supervise())', ref)
    if (ref.stopped) throw new ActorTerminatedError(ref.id)
    const subject = this.subject(name)
    const refs = subject.value
    const stored: ActorRef = ref
    if (refs.includes(stored)) throw new DuplicateRegistrationError(name, ref.id)
    subject.next(Object.freeze([...refs, stored]))
  }

  /** Removes `ref` from `key`; false when it was not registered. */
  unregister<M extends string, H, P extends OverflowPolicy>(key: ServiceKey<M, H>, ref: ActorRef<M, H, P, string>): boolean {
    return this.remove(keyName('receptionist.unregister()', key), ref)
  }

  /** Every ref registered under `key`, in registration order. */
  find<M extends string, H>(key: ServiceKey<M, H>): readonly ActorRef<M, H>[] {
    return (this.byKey.get(keyName('receptionist.find()', key))?.value ?? []) as readonly ActorRef<M, H>[]
  }

  /** The current set under `key`, then every change. */
  subscribe<M extends string, H>(key: ServiceKey<M, H>): Observable<readonly ActorRef<M, H>[]> {
    return this.subject(keyName('receptionist.subscribe()', key)).asObservable() as Observable<readonly ActorRef<M, H>[]>
  }

  /** Removes `ref` from every key (it stopped). */
  unregisterAll(ref: ActorLike): void {
    for (const name of this.byKey.keys()) this.remove(name, ref)
  }

  /** Completes every subscription (system shutdown). */
  close(): void {
    for (const s of this.byKey.values()) s.complete()
    this.byKey.clear()
  }

  private remove(name: string, ref: ActorLike): boolean {
    const subject = this.byKey.get(name)
    if (!subject?.value.includes(ref as ActorRef)) return false
    subject.next(Object.freeze(subject.value.filter((r) => r !== ref)))
    return true
  }

  private subject(name: string): BehaviorSubject<readonly ActorRef[]> {
    let s = this.byKey.get(name)
    if (!s) this.byKey.set(name, (s = new BehaviorSubject<readonly ActorRef[]>(Object.freeze([]))))
    return s
  }
}

/**
 * An actor ref: a spawned actor's, or one shaped like it (a supervised child's): `id`, `tell`, `ask`, `stopped` and
 * `stats` (routers read it), none of them throwing.
 */
function isRef(ref: unknown): boolean {
  if (localRef(ref)) return true
  try {
    const r = ref as { id?: unknown; tell?: unknown; ask?: unknown; stopped?: unknown; stats?: unknown }
    return typeof ref === 'object' && ref !== null && typeof r.id === 'string' && typeof r.tell === 'function' &&
      typeof r.ask === 'function' && typeof r.stopped === 'boolean' && typeof r.stats === 'object' && r.stats !== null
  } catch {
    return false
  }
}
