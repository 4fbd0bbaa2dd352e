/**
 * One rule for `stats.received` under every overflow policy: it counts every message the mailbox took (queued or
 * shed by the policy, each once); `dropped` counts the shed ones; a message refused with MailboxFullError or still
 * waiting for room in a block mailbox was not taken. So, once everything was handled, received - dropped = processed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { schema } from '../../lib/machine/index.js'
import { ActorSystem, MailboxFullError, type ActorEvent, type MailboxOptions } from '../../lib/actor/index.js'

const ss = schema({ Job: { multi: true }, Gate: { multi: true } })

class Worker {
  seen: unknown[] = []
  private release: (() => void) | undefined
  readonly gate = new Promise<void>((r) => (this.release = r))
  open(): void {
    this.release?.()
  }
  GateState(): Promise<void> {
    return this.gate
  }
  JobState(e: ActorEvent): void {
    this.seen.push(e.args.n)
  }
}

let system: ActorSystem
afterEach(async () => {
  await system.shutdown({ timeout: 20 })
})

/** A worker busy with Gate (so its mailbox of capacity 2 fills), then five Jobs told; returns stats and the tells. */
async function fill(mailbox: MailboxOptions) {
  system = new ActorSystem()
  const w = new Worker()
  const ref = system.spawn(ss, w, { id: 'w', mailbox: { capacity: 2, ...mailbox } })
  await ref.machine.when('Ready')
  void ref.tell('Gate')
  await new Promise((r) => setTimeout(r, 0))
  const told: unknown[] = []
  for (let n = 1; n <= 5; n++) {
    try {
      told.push(ref.tell('Job', { n }))
    } catch (err) {
      told.push(err)
    }
  }
  const before = { ...ref.stats }
  w.open()
  await Promise.allSettled(told)
  await new Promise((r) => setTimeout(r, 5))
  return { before, after: ref.stats, seen: w.seen, told }
}

describe('stats.received: every message the mailbox took, whatever the policy', () => {
  it('drop-newest: the three dropped count as received and as dropped', async () => {
    const { before, after, seen } = await fill({ overflow: 'drop-newest' })
    expect(before).toMatchObject({ received: 6, dropped: 3, queued: 2, inFlight: 1 })
    expect(seen).toEqual([1, 2])
    expect(after.received - after.dropped).toBe(after.processed)
  })

  it('drop-oldest: each message counted once, the shed ones also in dropped', async () => {
    const { before, after, seen } = await fill({ overflow: 'drop-oldest' })
    expect(before).toMatchObject({ received: 6, dropped: 3, queued: 2 })
    expect(seen).toEqual([4, 5])
    expect(after.received - after.dropped).toBe(after.processed)
  })

  it('red: early drops count as received and dropped', async () => {
    const { before, after, seen } = await fill({ overflow: 'red', red: { low: 0, high: 2 }, random: () => 0 })
    // random() = 0: a Job is shed whenever one is queued already (probability (queued - low) / (high - low) > 0)
    expect(before).toMatchObject({ received: 6, dropped: 4, queued: 1 })
    expect(seen).toEqual([1])
    expect(after.received - after.dropped).toBe(after.processed)
  })

  it('reject: messages refused with MailboxFullError were not taken', async () => {
    const { before, after, seen, told } = await fill({ overflow: 'reject' })
    expect(told.filter((t) => t instanceof MailboxFullError)).toHaveLength(3)
    expect(before).toMatchObject({ received: 3, dropped: 0, queued: 2 })
    expect(seen).toEqual([1, 2])
    expect(after.received - after.dropped).toBe(after.processed)
  })

  it('block: a waiting sender is counted once its message is queued', async () => {
    const { before, after, seen } = await fill({ overflow: 'block' })
    expect(before).toMatchObject({ received: 3, dropped: 0, queued: 2 })
    expect(seen).toEqual([1, 2, 3, 4, 5])
    expect(after).toMatchObject({ received: 6, dropped: 0 })
    expect(after.received - after.dropped).toBe(after.processed)
  })
})
