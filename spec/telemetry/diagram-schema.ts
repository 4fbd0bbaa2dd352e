/** A schema with every relation kind (require, remove, add, after), auto and multi states, and a lower-case name. */
import { schema } from '../../lib/index.js'

export const everyRelation = schema({
  Start: {},
  Ready: { auto: true, require: ['Start'] },
  Fetch: { multi: true, require: ['Ready'], add: ['Log'], after: ['Ready'] },
  Log: { after: ['Fetch'] },
  Stop: { remove: ['Start', 'Ready'] },
  end: { require: ['Stop'] },
})
