/** The `polymachine` entry: the core machine. */
export * from './machine/index.js'
