/** A module for the `polymachine-dbg diagram` tests: two exported schemas and exports that are not schemas. */
import { schema } from '../../lib/index.js'

export const WorkerSchema = schema({ Idle: {}, Busy: { remove: ['Idle'] } })
export const AppSchema = schema({ Start: {}, Ready: { auto: true, require: ['Start'] } })
export const notASchema = { names: ['X'], states: { X: {} } } // not frozen: ignored
export const answer = 42
