/**
 * Relation resolution: worked examples of asyncmachine-go's resolution (require, add, remove and their order, as
 * its default resolver computes them) plus each rule on its own, with exact active states, ticks and results.
 */
import { describe, expect, it } from 'vitest'
import { LogLevel, Machine, Result, schema, type Schema } from '../../lib/machine/index.js'

function machine<N extends string>(ss: Schema<N>, lines?: string[]): Machine<N> {
  return new Machine(ss, {
    id: 'rel',
    ...(lines && { logLevel: LogLevel.Decisions, logger: (_l, line) => lines.push(line) }),
  })
}

describe('relations: worked examples', () => {
  it('1. a called state with an unmet require cancels the transition', () => {
    const m = machine(schema({ Foo: { require: ['Bar'] }, Bar: {} }))
    expect(m.add('Foo')).toBe(Result.Canceled)
    expect(m.activeStates).toEqual([])
    expect(m.tick('Foo')).toBe(0)
  })

  it('2. add relation activates the implied state and logs [implied]', () => {
    const lines: string[] = []
    const m = machine(schema({ Foo: { add: ['Bar'] }, Bar: {} }), lines)
    expect(m.add('Foo')).toBe(Result.Executed)
    expect(m.toString()).toBe('(Foo:1 Bar:1)')
    expect(lines).toContain('[rel] [implied] Bar')
  })

  it('3. a called state removed by an active one is rejected ([cancel:reject])', () => {
    const lines: string[] = []
    const m = machine(schema({ Foo: { remove: ['Bar'] }, Bar: {} }), lines)
    m.add('Foo')
    expect(m.add('Bar')).toBe(Result.Canceled)
    expect(m.activeStates).toEqual(['Foo'])
    expect(lines).toContain('[rel] [cancel:reject] Bar')
  })

  it('4. a called state blocked by another called state cancels', () => {
    const m = machine(schema({ Foo: {}, Bar: { remove: ['Foo'] } }))
    expect(m.add(['Foo', 'Bar'])).toBe(Result.Canceled)
    expect(m.activeStates).toEqual([])
  })

  it('5. cross-blocking: the called state beats the active one; earlier-called beats later-called', () => {
    const ss = schema({ C: { remove: ['D'] }, D: { remove: ['C'] } })
    const m = machine(ss)
    m.add('D')
    expect(m.add('C')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['C'])
    expect(m.add('D')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['D'])
    expect(m.set('C')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['C'])
    expect(m.set('D')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['D'])

    const n = machine(ss)
    expect(n.add(['C', 'D'])).toBe(Result.Canceled)
    expect(n.activeStates).toEqual([])
  })

  it('6. one-way remove: set(C, D) with D active cancels and logs [rel:remove] D by C', () => {
    const lines: string[] = []
    const m = machine(schema({ C: { remove: ['D'] }, D: {} }), lines)
    m.add('D')
    expect(m.set(['C', 'D'])).toBe(Result.Canceled)
    expect(m.activeStates).toEqual(['D'])
    expect(lines).toContain('[rel] [rel:remove] D by C')
  })

  it('7. DryWaterWet: chains of add, remove and require', () => {
    const m = machine(
      schema({ Wet: { require: ['Water'] }, Dry: { remove: ['Water'] }, Water: { add: ['Wet'], remove: ['Dry'] } }),
    )
    expect(m.add('Dry')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['Dry'])
    expect(m.add('Water')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['Water', 'Wet'])
    expect(m.add('Dry')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['Dry'])
    expect(m.time()).toEqual([2, 3, 2, 0])
  })

  it('7b. DryWaterWet variant: set(Dry), set(Water) gives (Water Wet)', () => {
    const m = machine(
      schema({
        Wet: { require: ['Water'] },
        Dry: { remove: ['Wet'] },
        Water: { add: ['Wet'], remove: ['Dry'] },
      }),
    )
    m.set('Dry')
    expect(m.set('Water')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['Water', 'Wet'])
  })

  it('8. RemoveByAdd: an implied state removes an active one', () => {
    const m = machine(schema({ A: { add: ['B'] }, B: { remove: ['C'] }, C: {} }))
    m.add('C')
    expect(m.add('A')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['A', 'B'])
    expect(m.tick('C')).toBe(2)
  })

  it('9. AddOptionalRemoveMandatory: an implied state removed by a target is skipped silently', () => {
    const m = machine(schema({ A: { add: ['B'] }, B: {}, C: { remove: ['B'] } }))
    expect(m.add(['A', 'C'])).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['A', 'C'])
    expect(m.tick('B')).toBe(0)
  })

  it('10. mutex group: each add replaces the previous state', () => {
    const group = ['A', 'B', 'C'] as const
    const m = machine(schema({ A: { remove: group }, B: { remove: group }, C: { remove: group } }))
    m.add('A')
    m.add('B')
    expect(m.add('C')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['C'])
    expect(m.time(['A', 'B', 'C'])).toEqual([2, 2, 1])
  })

  it('11. Quiz: targets sorted by require topology (A E D B), C removed', () => {
    const m = machine(
      schema({
        A: { add: ['B'] },
        B: { require: ['D'], add: ['C'] },
        C: {},
        D: { remove: ['C'] },
        E: { add: ['D'] },
      }),
    )
    expect(m.add(['A', 'E'])).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['A', 'E', 'D', 'B'])
    expect(m.is('C')).toBe(false)
  })

  it('12. FileProcessed: an auto state follows its requirement in and out', () => {
    const m = machine(
      schema({
        ProcessingFile: { remove: ['FileProcessed'] },
        FileProcessed: { remove: ['ProcessingFile'] },
        InProgress: { auto: true, require: ['ProcessingFile'] },
      }),
    )
    expect(m.add('ProcessingFile')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['ProcessingFile', 'InProgress'])
    expect(m.add('FileProcessed')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['FileProcessed'])
    expect(m.time(['ProcessingFile', 'FileProcessed', 'InProgress'])).toEqual([2, 1, 2])
  })

  it('13. an implied state wins a cross-block against an inactive one', () => {
    const m = machine(schema({ Z: { add: ['B'] }, A: { remove: ['B'] }, B: { remove: ['A'] } }))
    expect(m.set('Z')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['Z', 'B'])
  })

  it('14. add of an already active state is not re-applied; set drops the implied state', () => {
    const m = machine(schema({ A: { remove: ['D'] }, C: { add: ['D'] }, D: {} }))
    expect(m.set('C')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['C', 'D'])
    expect(m.set(['A', 'C'])).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['A', 'C'])
  })

  it('15. an active multi state re-applies add, except for a state being removed', () => {
    const m = machine(schema({ A: { multi: true, add: ['B'], require: ['C'] }, B: { require: ['C'] }, C: {} }))
    m.add('C')
    m.add('A')
    expect(m.activeStates).toEqual(['C', 'A', 'B'])
    expect(m.remove('B')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['C', 'A'])
  })
})

describe('relations: each rule', () => {
  it('add is followed to a fixed point (A→B→C→D activates D) (diff)', () => {
    const m = machine(schema({ A: { add: ['B'] }, B: { add: ['C'] }, C: { add: ['D'] }, D: {} }))
    m.add('A')
    expect(m.activeStates).toEqual(['A', 'B', 'C', 'D'])
  })

  it('require is checked transitively to a fixed point', () => {
    const m = machine(schema({ A: { require: ['B'] }, B: { require: ['C'] }, C: {} }))
    expect(m.add(['A', 'B'])).toBe(Result.Canceled)
    expect(m.add(['A', 'B', 'C'])).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['C', 'B', 'A'])
  })

  it('an implied state with an unmet require is skipped, the transition goes on', () => {
    const m = machine(schema({ A: { add: ['B'] }, B: { require: ['C'] }, C: {} }))
    expect(m.add('A')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['A'])
  })

  it('implied removal: removing a required state removes its dependents (transitively)', () => {
    const m = machine(schema({ A: { require: ['B'] }, B: { require: ['C'] }, C: {}, D: {} }))
    m.add(['C', 'B', 'A', 'D'])
    expect(m.remove('C')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['D'])
    expect(m.time()).toEqual([2, 2, 2, 1, 0])
  })

  it('set(X) where X requires an active Y that is not in the set is canceled', () => {
    const m = machine(schema({ X: { require: ['Y'] }, Y: {} }))
    m.add('Y')
    expect(m.set('X')).toBe(Result.Canceled)
    expect(m.activeStates).toEqual(['Y'])
  })

  it('a remove mutation is accepted by relations even for inactive states', () => {
    const m = machine(schema({ A: {}, B: {} }))
    m.add('A')
    expect(m.remove('B')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['A'])
    expect(m.time()).toEqual([1, 0, 0])
  })

  it('a state added by a multi state is removed in the same mutation only if called for removal', () => {
    const m = machine(schema({ M: { multi: true, add: ['B'] }, B: {}, C: {} }))
    m.add('M')
    m.remove('B')
    expect(m.activeStates).toEqual(['M'])
    // any later transition re-applies the active multi state's add
    m.add('C')
    expect(m.activeStates).toEqual(['C', 'M', 'B'])
  })

  it('after orders targets and wins over require topology', () => {
    const m = machine(schema({ Foo: { after: ['Bar'] }, Bar: { require: ['Foo'] } }))
    m.add(['Foo', 'Bar'])
    expect(m.activeStates).toEqual(['Bar', 'Foo'])
  })

  it('require topology: requirements first, ties in index order', () => {
    const m = machine(schema({ A: { require: ['B', 'C'] }, B: { require: ['D'] }, C: {}, D: {} }))
    m.add(['A', 'C', 'B', 'D'])
    expect(m.activeStates).toEqual(['D', 'B', 'C', 'A'])
    const n = machine(schema({ A: { require: ['B', 'C'] }, B: { require: ['D'] }, C: {}, D: {} }))
    n.add(['C', 'D', 'A', 'B'])
    expect(n.activeStates).toEqual(['D', 'B', 'C', 'A'])
  })

  it('a require cycle does not break resolution', () => {
    const m = machine(schema({ A: { require: ['B'] }, B: { require: ['A'] } }))
    expect(m.add('A')).toBe(Result.Canceled)
    expect(m.add(['A', 'B'])).toBe(Result.Executed)
    expect(m.is(['A', 'B'])).toBe(true)
    expect(m.remove('A')).toBe(Result.Executed)
    expect(m.activeStates).toEqual([])
  })

  it('toggle removes when all are active, adds otherwise', () => {
    const m = machine(schema({ A: {}, B: {} }))
    m.toggle(['A', 'B'])
    expect(m.activeStates).toEqual(['A', 'B'])
    m.remove('B')
    m.toggle(['A', 'B'])
    expect(m.activeStates).toEqual(['A', 'B'])
    m.toggle(['A', 'B'])
    expect(m.activeStates).toEqual([])
  })

  it('canAdd/canRemove answer by relations and change nothing', () => {
    const m = machine(schema({ A: { require: ['C'] }, B: {}, C: {} }))
    expect(m.canAdd('A')).toBe(Result.Canceled)
    expect(m.canAdd('C')).toBe(Result.Executed)
    expect(m.canRemove('C')).toBe(Result.Executed)
    expect(m.time()).toEqual([0, 0, 0, 0])
    expect(m.canAdd(['A', 'C'])).toBe(Result.Executed)
    expect(m.activeStates).toEqual([])
  })
})

describe('relations: auto and multi states', () => {
  it('auto states are activated after a transition that changed a tick, in one round', () => {
    const m = machine(schema({ Start: {}, Ready: { auto: true, require: ['Start'] }, Idle: { auto: true } }))
    // Idle is auto with no requirement: the first change activates it. States in no require edge sort first.
    m.add('Start')
    expect(m.activeStates).toEqual(['Idle', 'Start', 'Ready'])
    expect(m.time()).toEqual([1, 1, 1, 0])
  })

  it('auto partial acceptance: survivors are activated, the rest skipped', () => {
    const m = machine(
      schema({ A: {}, B: { auto: true, require: ['Missing'] }, C: { auto: true }, Missing: {} }),
    )
    m.add('A')
    expect(m.activeStates).toEqual(['C', 'A'])
  })

  it('an auto state removed by an active state is not a candidate', () => {
    const m = machine(schema({ A: { remove: ['Z'] }, Z: { auto: true } }))
    m.add('A')
    expect(m.activeStates).toEqual(['A'])
  })

  it('a transition that changed no tick triggers no auto round', () => {
    let enters = 0
    let allow = false
    const m = new Machine(schema({ A: {}, B: {}, Z: { auto: true } }), {
      handlers: { ZEnter: () => (enters++, allow) },
    })
    m.add('A') // auto round: ZEnter refuses
    expect(enters).toBe(1)
    allow = true
    m.add('A') // nothing ticked: no auto round
    expect(enters).toBe(1)
    expect(m.activeStates).toEqual(['A'])
    m.add('B') // B ticked: auto round
    expect(enters).toBe(2)
    expect(m.activeStates).toEqual(['Z', 'B', 'A'])
  })

  it('multi: +2 on re-entry, a merely implied multi state keeps its tick', () => {
    const m = machine(schema({ M: { multi: true }, A: { add: ['M'] } }))
    m.add('M')
    m.add('M')
    expect(m.tick('M')).toBe(3)
    m.add('A')
    expect(m.tick('M')).toBe(3)
    m.remove('M')
    expect(m.tick('M')).toBe(4)
  })

  it('clock sequence of asyncmachine-go TestTime', () => {
    const m = machine(schema({ A: {}, B: { multi: true }, C: {}, D: {} }))
    const steps: Array<[() => void, number[]]> = [
      [() => m.add(['A', 'B']), [1, 1, 0, 0]],
      [() => m.add(['A', 'B']), [1, 3, 0, 0]],
      [() => m.add(['A', 'B', 'C']), [1, 5, 1, 0]],
      [() => m.set('D'), [2, 6, 2, 1]],
      [() => m.add(['D', 'C']), [2, 6, 3, 1]],
      [() => m.remove(['B', 'C']), [2, 6, 4, 1]],
      [() => m.add(['A', 'B']), [3, 7, 4, 1]],
      [() => m.add('C'), [3, 7, 5, 1]],
    ]
    for (const [step, time] of steps) {
      step()
      expect(m.time(['A', 'B', 'C', 'D'])).toEqual(time)
    }
    expect(m.clock()).toEqual({ A: 3, B: 7, C: 5, D: 1, Exception: 0 })
    const before = m.time()
    const ab = m.time(['A', 'B'])
    expect(m.isTime(before)).toBe(true)
    m.add('D')
    expect(m.isTime(before)).toBe(true)
    m.remove('D')
    expect(m.isTime(before)).toBe(false)
    expect(m.isTime(ab, ['A', 'B'])).toBe(true)
    expect(() => m.isTime(before, ['A', 'B'])).toThrow(TypeError)
  })
})
