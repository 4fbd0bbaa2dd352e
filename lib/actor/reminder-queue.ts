/**
 * A min-heap of due times with lazy removal: an item is stale once its reminder was replaced or cancelled (its
 * generation no longer matches), and is dropped when it reaches the top.
 */
export interface Due {
  readonly due: number
  readonly id: string
  readonly gen: number
}

export class DueQueue {
  private readonly items: Due[] = []

  get size(): number {
    return this.items.length
  }

  push(item: Due): void {
    const a = this.items
    a.push(item)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if ((a[p] as Due).due <= item.due) break
      a[i] = a[p] as Due
      i = p
    }
    a[i] = item
  }

  /** The earliest item for which `live` is true (stale ones above it are dropped), or undefined. */
  peek(live: (item: Due) => boolean): Due | undefined {
    for (;;) {
      const top = this.items[0]
      if (top === undefined || live(top)) return top
      this.pop()
    }
  }

  pop(): Due | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length === 0 || last === undefined) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= a.length) break
      const r = l + 1
      const c = r < a.length && (a[r] as Due).due < (a[l] as Due).due ? r : l
      if ((a[c] as Due).due >= last.due) break
      a[i] = a[c] as Due
      i = c
    }
    a[i] = last
    return top
  }
}
