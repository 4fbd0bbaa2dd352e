/**
 * How an actor binds its user's handlers: through wrappers that pass an ActorEvent and capture message replies.
 *
 * For an instance of a handlers class (the core's rule: no own property looks like a handler) the wrapper methods are
 * made once per class and take the actor from `this`: each actor binds an object holding only itself and its
 * handlers, and the core shares the dispatch tables of those wrappers too (so a method added to the class later is
 * not seen). Other handler objects, usually made per actor (`({ key }) => ({ … })`), get wrapper closures of their
 * own: caching those would only add entries that live as long as the actor.
 */
import type { Event } from '../machine/index.js'
import { handlerClass, handlerMembers } from '../machine/internals.js'
import type { Actor } from './actor.js'
import { ActorEventImpl } from './event.js'

type Handler = (e: unknown) => unknown

/** What a per-class wrapper method finds on `this`. */
interface Wrapped {
  actor: Actor
  target: object
}

/** Wrapper prototypes by the prototype of the handlers they wrap. */
const wrapperProtos = new WeakMap<object, object>()

export function wrapHandlers(actor: Actor, handlers: object): object {
  const proto = handlerClass(handlers)
  if (proto === null) {
    return wrappers(handlers, (call, name, isFinal) => (e: Event) => invoke(actor, handlers, call, name, isFinal, e))
  }
  let wp = wrapperProtos.get(proto)
  if (!wp) {
    wp = wrappers(handlers, (call, name, isFinal) => function (this: Wrapped, e: Event): unknown {
      return invoke(this.actor, this.target, call, name, isFinal, e)
    })
    wrapperProtos.set(proto, wp)
  }
  const w = Object.create(wp) as Wrapped
  w.actor = actor
  w.target = handlers
  return w
}

/** A wrapper per upper-case member of `handlers` (non-functions passed through: the core reports them). */
function wrappers(handlers: object,
  make: (call: Handler, name: string, isFinal: boolean) => (e: Event) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of handlerMembers(handlers)) {
    if (!/^[A-Z]/.test(name)) continue
    const fn = (handlers as Record<string, unknown>)[name]
    out[name] = typeof fn === 'function' ? make(fn as Handler, name, name.endsWith('State')) : fn
  }
  return out
}

/**
 * Calls one user handler with an ActorEvent. A message's State handler's result or throw is its reply: the actor
 * records it and gives the machine what it may safely touch (an Error for any throw, a native Promise for a thenable).
 */
function invoke(actor: Actor, target: object, call: Handler, name: string, isFinal: boolean, e: Event): unknown {
  const own = isFinal && actor.cur.isDelivered(e)
  // a message's State handler gets the message's signal; Start and every other handler the machine's
  const ae = new ActorEventImpl(e, actor, own ? actor.cur.env : null)
  if (!own) return call.call(target, ae)
  let r: unknown
  try {
    r = call.call(target, ae)
  } catch (err) {
    throw actor.cur.failed(err)
  }
  return actor.cur.captured(r)
}
