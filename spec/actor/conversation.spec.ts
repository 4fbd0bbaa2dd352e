/**
 * Conversations: phase transitions, the context log, each crash policy, exit-notifier replay, child trace ids and
 * the one-exchange ask.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TimeoutError, schema } from '../../lib/machine/index.js'
import {
  ActorSystem, Conversation, ConversationStateError, ParticipantCrashedError, conversationAsk, type ActorEvent,
} from '../../lib/actor/index.js'

const ss = schema({ Quote: { multi: true }, Boom: { multi: true } })

/** A participant that quotes `price`, or crashes on Boom (or on Quote when `crashOnQuote`). */
function quoter(name: string, price: number, crashOnQuote = false) {
  return {
    QuoteState(e: ActorEvent): string {
      if (crashOnQuote) throw new Error(`${name} down`)
      return `${name}:${price * (e.args.qty as number)}`
    },
    BoomState(): void {
      throw new Error(`${name} boom`)
    },
  }
}

let system: ActorSystem
afterEach(async () => {
  await system.shutdown({ timeout: 100 })
})

describe('phases and log', () => {
  it('Created → Active (on send) → Completing → Closed; the log records sent and received', async () => {
    system = new ActorSystem()
    const a = system.spawn(ss, quoter('a', 10), { id: 'a' })
    const conv = new Conversation(system, { id: 'c1', participants: [a], onCrash: 'fail' })
    expect(conv.phase).toBe('Created')
    conv.send('Quote', { qty: 2 })
    expect(conv.phase).toBe('Active')
    expect(await conv.receive({ timeout: 1000 })).toBe('a:20')
    conv.close()
    expect(conv.phase).toBe('Closed')
    expect(conv.machine.tick('Completing')).toBe(2)
    expect(conv.log.map((e) => e.kind)).toEqual(['sent', 'received'])
    expect(conv.log[0]).toMatchObject({ kind: 'sent', id: 1, msg: 'Quote', to: 'a' })
    expect(() => conv.send('Quote', { qty: 1 })).toThrow(ConversationStateError)
    await expect(conv.receive()).rejects.toBeInstanceOf(ConversationStateError)
    expect(() => conv.activate()).toThrow(/Closed: cannot activate/)
  })

  it('a failed conversation cannot close, and the machine refuses Closed as well', () => {
    system = new ActorSystem()
    const a = system.spawn(ss, quoter('a', 1), { id: 'a' })
    const conv = new Conversation(system, { participants: [a], onCrash: 'fail' })
    conv.fail(new Error('gave up'))
    expect(conv.phase).toBe('Failed')
    expect(() => conv.close()).toThrow(ConversationStateError)
    expect(conv.machine.add('Closed')).toBe(1)
    expect(conv.machine.add('Active')).toBe(1)
  })

  it('bad options are TypeErrors: no crash policy, compensate without a function, no participants', () => {
    system = new ActorSystem()
    const a = system.spawn(ss, quoter('a', 1), { id: 'a' })
    expect(() => new Conversation(system, { participants: [a], onCrash: undefined as never })).toThrow(TypeError)
    expect(() => new Conversation(system, { participants: [a], onCrash: 'compensate' })).toThrow(TypeError)
    expect(() => new Conversation(system, { participants: [], onCrash: 'fail' })).toThrow(TypeError)
  })

  it('receive times out with TimeoutError; the overall deadline fails the conversation', async () => {
    system = new ActorSystem()
    const a = system.spawn(ss, quoter('a', 1), { id: 'a' })
    const conv = new Conversation(system, { participants: [a], onCrash: 'fail', timeout: 30 })
    await expect(conv.receive({ timeout: 5 })).rejects.toBeInstanceOf(TimeoutError)
    await expect(conv.receive()).rejects.toBeInstanceOf(TimeoutError)
    expect(conv.phase).toBe('Failed')
  })
})

describe('crash policies', () => {
  it('fail: a participant crash fails the conversation and pending receives', async () => {
    system = new ActorSystem()
    const a = system.spawn(ss, quoter('a', 1, true), { id: 'a' })
    const conv = new Conversation(system, { participants: [a], onCrash: 'fail' })
    conv.send('Quote', { qty: 1 })
    const err = await conv.receive().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ParticipantCrashedError)
    expect(conv.phase).toBe('Failed')
    expect(conv.log.map((e) => e.kind)).toContain('participant-crashed')
  })

  it('route-to-next: the in-flight request is re-sent to the next participant', async () => {
    system = new ActorSystem()
    const a = system.spawn(ss, quoter('a', 1, true), { id: 'a' })
    const b = system.spawn(ss, quoter('b', 7), { id: 'b' })
    const conv = new Conversation(system, { participants: [a, b], onCrash: 'route-to-next' })
    conv.send('Quote', { qty: 3 })
    expect(await conv.receive({ timeout: 1000 })).toBe('b:21')
    expect(conv.phase).toBe('Active')
    expect(conv.log.map((e) => (e.kind === 'sent' ? `sent>${e.to}` : e.kind))).toEqual([
      'sent>a', 'participant-crashed', 'sent>b', 'received',
    ])
  })

  it('route-to-next with nobody left fails the conversation', async () => {
    system = new ActorSystem()
    const a = system.spawn(ss, quoter('a', 1, true), { id: 'a' })
    const conv = new Conversation(system, { participants: [a], onCrash: 'route-to-next' })
    conv.send('Quote', { qty: 1 })
    await expect(conv.receive({ timeout: 1000 })).rejects.toBeInstanceOf(ParticipantCrashedError)
  })

  it('compensate: the compensation runs, then the conversation fails', async () => {
    system = new ActorSystem()
    const a = system.spawn(ss, quoter('a', 1, true), { id: 'a' })
    const undone: string[] = []
    const conv = new Conversation(system, {
      participants: [a],
      onCrash: 'compensate',
      compensate: async ({ participant, conversation }) => {
        await Promise.resolve()
        undone.push(`${participant}:${conversation.log.length}`)
      },
    })
    conv.send('Quote', { qty: 1 })
    await expect(conv.receive({ timeout: 1000 })).rejects.toBeInstanceOf(ParticipantCrashedError)
    expect(undone).toEqual(['a:2'])
    expect(conv.phase).toBe('Failed')
  })
})

describe('exit notifiers and children', () => {
  it('replays a crash that happened before registration', async () => {
    system = new ActorSystem()
    const a = system.spawn(ss, quoter('a', 1), { id: 'a' })
    const conv = new Conversation(system, { participants: [a], onCrash: 'route-to-next' })
    const early = conv.whenParticipantExits('a')
    a.tell('Boom')
    const first = await early
    const replayed = await conv.whenParticipantExits('a')
    expect(replayed).toBe(first)
    expect((first.error as Error).message).toBe('a boom')
    await expect(conv.whenParticipantExits('zed')).rejects.toThrow(TypeError)
  })

  it('child conversations share the trace id, with their own span', () => {
    system = new ActorSystem()
    const a = system.spawn(ss, quoter('a', 1), { id: 'a' })
    const parent = new Conversation(system, { participants: [a], onCrash: 'fail' })
    const child = parent.child({ participants: [a], onCrash: 'fail' })
    expect(child.traceId).toBe(parent.traceId)
    expect(child.spanId).not.toBe(parent.spanId)
  })
})

describe('conversationAsk', () => {
  it('one exchange: reply, crash, and cleanup of the participant', async () => {
    system = new ActorSystem()
    expect(await conversationAsk(system, { schema: ss, handlers: quoter('x', 5) }, { msg: 'Quote', args: { qty: 2 } })).toBe('x:10')
    await expect(
      conversationAsk(system, { schema: ss, handlers: quoter('y', 5, true) }, { msg: 'Quote', args: { qty: 2 } }),
    ).rejects.toBeInstanceOf(ParticipantCrashedError)
    expect(system.size).toBe(0)
  })
})
