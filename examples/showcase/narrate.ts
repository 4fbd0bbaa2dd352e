/**
 * The showcase's log: one line per thing that happened, with full ids, read from the machines' own transitions
 * (`transitions$`), so the actors need no logging code. A line is `  1.23s  who       what`.
 */
import { filter, type Observable } from 'rxjs'
import type { Machine, TransitionInfo } from '../../lib/index.js'
import type { Conversation, SupervisorStateNames } from '../../lib/actor/index.js'

const started = performance.now()

export function say(who: string, what: string): void {
  const secs = ((performance.now() - started) / 1000).toFixed(2).padStart(5)
  console.log(`${secs}s  ${who.padEnd(9)} ${what}`)
}

export function section(title: string): void {
  console.log(`\n${title}`)
}

const done = <N extends string>(m: Machine<N>): Observable<TransitionInfo<N>> =>
  m.transitions$.pipe(filter((tx) => tx.accepted && !tx.isCheck))

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** A supervisor, as far as the log needs it. */
interface Supervised {
  readonly machine: Machine<SupervisorStateNames>
  readonly childIds: readonly string[]
}

/**
 * Which child of a supervisor starts, is ready, fails (and what the supervisor decided) or stops for good. Children
 * already there (a pool starts its workers in its constructor) are reported as starting their first incarnation.
 */
export function narrateSupervisor(who: string, sup: Supervised): void {
  const incarnation = new Map<string, number>()
  for (const id of sup.childIds) {
    incarnation.set(id, 1)
    say(who, `starting ${id}`)
  }
  done(sup.machine).subscribe((tx) => {
    const id = String(tx.args.id)
    switch (tx.calledStates[0]) {
      case 'ChildStarting': {
        const n = Number(tx.args.incarnation)
        incarnation.set(id, n)
        say(who, n === 1 ? `starting ${id}` : `restarting ${id} as incarnation #${n}`)
        break
      }
      case 'ChildReady':
        say(who, `${id} #${String(tx.args.incarnation)} ready`)
        break
      case 'ChildFailed':
        say(who, `${id} #${incarnation.get(id) ?? '?'} failed: ${reason(tx.args.err)} → ${String(tx.args.directive)}`)
        break
      case 'ChildStopped':
        say(who, `${id} stopped`)
        break
    }
  })
}

const PHASES = ['Created', 'Active', 'Completing', 'Closed', 'Failed'] as const

/** A conversation's phases, the requests it sends, the replies it gets and the participants that crash. */
export function narrateConversation(conv: Conversation): void {
  say(conv.id, `phase ${conv.phase}`)
  done(conv.machine).subscribe((tx) => {
    for (const phase of PHASES) if (tx.enters.includes(phase)) say(conv.id, `phase ${phase}`)
    const args = tx.args
    switch (tx.calledStates[0]) {
      case 'Sent':
        say(conv.id, `request #${String(args.id)} ${String(args.msg)} → ${String(args.to)}`)
        break
      case 'Received': {
        const entry = conv.log.find((e) => e.kind === 'received' && e.id === args.id)
        say(conv.id, `reply to #${String(args.id)} from ${String(args.from)}${entry?.kind === 'received' ? `: ${String(entry.value)}` : ''}`)
        break
      }
      case 'ParticipantCrashed': {
        const entry = conv.log.findLast((e) => e.kind === 'participant-crashed' && e.participant === args.participant)
        const why = entry?.kind === 'participant-crashed' ? ` (${reason(entry.error)})` : ''
        say(conv.id, `${String(args.participant)} crashed${why} → ${String(args.policy)}`)
        break
      }
    }
  })
}
