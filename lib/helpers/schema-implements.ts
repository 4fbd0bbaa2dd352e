/**
 * Contract checks between schemas (asyncmachine-go `SchemaImplements`): does a schema (or a machine's) provide the
 * states, flags and relations that another one requires?
 */
import { InvalidArgumentError, isSchema, type Machine, type Schema, type StateDef } from '../machine/index.js'
import { isMachine } from '../machine/internals.js'
import { ContractError, type ContractMismatch } from './errors.js'

const RELATIONS = ['require', 'add', 'remove', 'after'] as const

/**
 * Checks that `subject` implements `required`: every required state exists and, when `required` is a schema,
 * - `multi` is the same (it decides whether a state is an event or a status);
 * - a required `auto` state is auto;
 * - every relation entry of the required state is in the subject's (more entries are fine).
 *
 * Returns a `ContractError` listing every difference, or `undefined` when it implements it.
 *
 * ```ts
 * const err = schemaImplements(worker.schema, BasicSchema)
 * if (err) console.error(err.message) // "schema does not implement the required schema: missing state 'Ready'"
 * ```
 */
export function schemaImplements(subject: Schema<string> | Machine<string>,
  required: Schema<string> | readonly string[]): ContractError | undefined {
  const where = 'schemaImplements()'
  const [s, name] = isMachine(subject) ? [subject.schema, `machine ${subject.id}`] : [subject, 'schema']
  if (!isSchema(s)) throw new InvalidArgumentError(where, 'subject', 'a schema or a machine', subject)
  let names: unknown
  try {
    names = isSchema(required) ? required.names : Array.isArray(required) ? [...(required as unknown[])] : required
  } catch {
    names = undefined // a revoked proxy or a throwing trap: reported below
  }
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new InvalidArgumentError(where, 'required', 'a schema or an array of state names', required)
  }
  const have = s.states as Readonly<Record<string, StateDef<string>>>
  const missing = names.filter((n) => !Object.hasOwn(have, n))
  const mismatches: ContractMismatch[] = []
  if (isSchema(required)) {
    for (const state of names) {
      const want = required.states[state] as StateDef<string>
      const got = have[state]
      if (got === undefined) continue
      if (!!want.multi !== !!got.multi) {
        mismatches.push({ state, field: 'multi', expected: !!want.multi,
          message: `'${state}' must${want.multi ? '' : ' not'} be multi` })
      }
      if (want.auto && !got.auto) mismatches.push({ state, field: 'auto', expected: true, message: `'${state}' must be auto` })
      for (const rel of RELATIONS) {
        const lacking = (want[rel] ?? []).filter((t) => !(got[rel] ?? []).includes(t))
        if (lacking.length > 0) {
          mismatches.push({ state, field: rel, expected: lacking,
            message: `'${state}' must ${rel} ${lacking.map((t) => `'${t}'`).join(', ')}` })
        }
      }
    }
  }
  return missing.length + mismatches.length > 0 ? new ContractError(name, missing, mismatches) : undefined
}

/**
 * {@link schemaImplements} that throws.
 *
 * ```ts
 * assertImplements(WorkerSchema, BasicSchema) // at module load: fail fast on a broken contract
 * ```
 * @throws ContractError listing every missing state and mismatch.
 */
export function assertImplements(subject: Schema<string> | Machine<string>,
  required: Schema<string> | readonly string[]): void {
  const err = schemaImplements(subject, required)
  if (err) throw err
}
