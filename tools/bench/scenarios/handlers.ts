/**
 * handlers: the relations scenario with an Enter and a State handler on every state, so the cost of building
 * transition records and dispatching handlers is measured on top of the relations.
 */
import type { Scenario } from '../run.js'
import { relationsRun } from './relations.js'

export const handlers: Scenario = {
  name: 'handlers',
  title: 'handlers: relations + Enter and State handlers on all 10 states (ns per mutation)',
  run: (opts) => relationsRun(opts, true),
}
