/**
 * Who may do what on a server: the `authenticate(hello)` hook of the handshake, the states clients may mutate
 * (`mutable: { allow, deny }`) and the args keys they may read (`argsKeys`, which bounds remote `whenArgs`: a watch is
 * an oracle on the source's args). Options are read once, under guards, when the server is made.
 */
import { InvalidArgumentError, UnknownStateError } from '../machine/index.js'
import { safeString, thenOf } from '../machine/internals.js'
import { MutationKind } from './protocol.js'

/** What `authenticate` receives: the client's `HELLO`, as sent (a frozen copy). */
export interface HelloInfo {
  readonly version: number
  readonly clientId: string
  readonly token: string | null
  readonly schemaHash: string | null
}

/** Accepts a client by returning (or resolving) `true`; anything else, a throw or a rejection refuses it. */
export type Authenticate = (hello: HelloInfo) => boolean | Promise<boolean>

/** Access options of `serve()`. */
export interface AccessOptions<S extends string = string> {
  /** Custom check of each `HELLO` (after the version and `token` checks); see {@link Authenticate}. */
  authenticate?: Authenticate
  /**
   * States clients may mutate (by the states a mutation names; for `set`, also the states active on the source it
   * would remove; for `addErr`, `Exception`). `allow`: only these; `deny`: never these (wins over `allow`). Other
   * mutations are refused with `ERR_RPC_FORBIDDEN` and never reach the source. Dry runs (`canAdd`) are checked too.
   */
  mutable?: { allow?: readonly S[]; deny?: readonly S[] }
  /** Args keys clients may read: a remote `whenArgs` naming any other key is refused (`ERR_RPC_FORBIDDEN`). */
  argsKeys?: readonly string[]
}

/** The access rules of one server. */
export class Access {
  readonly authenticate: Authenticate | null
  /** 1 = clients may mutate the state at this index. */
  readonly #mutable: Uint8Array
  readonly #argsKeys: ReadonlySet<string> | null

  constructor(readonly names: readonly string[], opts: AccessOptions, owner: string) {
    const where = 'serve()'
    const read = <T>(name: string, get: () => T): T => {
      try {
        return get()
      } catch (err) {
        throw new InvalidArgumentError(where, name, `a readable value (reading it threw: ${safeString(err)})`, undefined)
      }
    }
    const auth = read('authenticate', () => opts.authenticate)
    if (auth !== undefined && typeof auth !== 'function') {
      throw new InvalidArgumentError(where, 'authenticate', 'a function', auth)
    }
    this.authenticate = auth ?? null
    const mutable = read('mutable', () => opts.mutable)
    if (mutable !== undefined && (typeof mutable !== 'object' || mutable === null)) {
      throw new InvalidArgumentError(where, 'mutable', 'an object { allow?, deny? }', mutable)
    }
    const allow = mutable ? this.#states(read('mutable.allow', () => mutable.allow), 'mutable.allow', owner) : null
    const deny = mutable ? this.#states(read('mutable.deny', () => mutable.deny), 'mutable.deny', owner) : null
    this.#mutable = new Uint8Array(names.length).fill(allow ? 0 : 1)
    for (const i of allow ?? []) this.#mutable[i] = 1
    for (const i of deny ?? []) this.#mutable[i] = 0
    const keys = read('argsKeys', () => opts.argsKeys)
    this.#argsKeys = keys === undefined ? null : new Set(list(keys, 'argsKeys'))
  }

  /** Why this mutation is forbidden, or null. `active` tells which states are active on the source now. */
  mutation(kind: MutationKind, states: readonly number[], active: (i: number) => boolean): string | null {
    const touched = [...states]
    if (kind === MutationKind.AddErr) touched.push(this.names.indexOf('Exception'))
    if (kind === MutationKind.Set) for (let i = 0; i < this.names.length; i++) if (active(i)) touched.push(i)
    const no = touched.filter((i) => this.#mutable[i] !== 1).map((i) => this.names[i] as string)
    return no.length === 0 ? null : `clients may not mutate ${[...new Set(no)].join(', ')}`
  }

  /** Why a watch on these args keys is forbidden, or null. */
  watch(args: Record<string, unknown>): string | null {
    if (this.#argsKeys === null) return null
    const no = Object.keys(args).filter((k) => !this.#argsKeys!.has(k))
    return no.length === 0 ? null : `clients may not read the args keys ${no.join(', ')}`
  }

  #states(v: unknown, name: string, owner: string): number[] | null {
    if (v === undefined) return null
    const out: number[] = []
    const unknown: string[] = []
    for (const s of list(v, name)) {
      const i = this.names.indexOf(s)
      if (i < 0) unknown.push(s)
      else out.push(i)
    }
    if (unknown.length) throw new UnknownStateError(owner, unknown, `serve(): ${name}`)
    return out
  }
}

/** A copy of a list of strings, read once. */
function list(v: unknown, name: string): string[] {
  if (!Array.isArray(v)) throw new InvalidArgumentError('serve()', name, 'an array of strings', v)
  let copy: unknown[]
  try {
    copy = Array.from(v as unknown[])
  } catch (err) {
    throw new InvalidArgumentError('serve()', name, `a readable array (reading it threw: ${safeString(err)})`, undefined)
  }
  for (const s of copy) if (typeof s !== 'string') throw new InvalidArgumentError('serve()', name, 'an array of strings', v)
  return copy as string[]
}

/**
 * Runs the hook on `hello` and settles with null (accepted) or why it refused: `false` or any value but `true`, a
 * throw, a rejection, a thenable that cannot be read, or no answer within `timeout` ms.
 */
export function runAuthenticate(hook: Authenticate, hello: HelloInfo, timeout: number): Promise<string | null> {
  let ret: unknown
  try {
    ret = hook(Object.freeze({ ...hello }))
  } catch (err) {
    return Promise.resolve(`authenticate() threw: ${safeString(err)}`)
  }
  const t = thenOf(ret)
  if (t.error !== undefined) return Promise.resolve(`authenticate() returned an unreadable value: ${safeString(t.error)}`)
  const verdict = (v: unknown): string | null => v === true ? null : `authenticate() answered ${safeString(v).slice(0, 100)}`
  if (!t.then) return Promise.resolve(verdict(ret))
  const then = t.then
  return new Promise((resolve) => {
    let done = false
    const settle = (why: string | null): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(why)
    }
    const timer = setTimeout(() => settle(`authenticate() did not answer within ${timeout} ms`), timeout)
    timer.unref?.()
    try {
      then((v) => settle(verdict(v)), (err) => settle(`authenticate() rejected: ${safeString(err)}`))
    } catch (err) {
      settle(`authenticate() threw: ${safeString(err)}`)
    }
  })
}
