import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api'

/**
 * A synchronous OpenTelemetry context manager for tests: no async propagation is needed, as the tracing hooks read
 * the active context when a call is made.
 */
export class StackContextManager implements ContextManager {
  #stack: Context[] = []
  active(): Context {
    return this.#stack[this.#stack.length - 1] ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>,
    ...args: A): ReturnType<F> {
    this.#stack.push(ctx)
    try {
      return fn.call(thisArg, ...args)
    } finally {
      this.#stack.pop()
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target
  }
  enable(): this {
    return this
  }
  disable(): this {
    this.#stack = []
    return this
  }
}
