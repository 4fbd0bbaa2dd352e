/**
 * The interactive mode: renders the ink app until `q` or Ctrl+C. Loaded only when needed, so `--dump` never loads
 * ink or React.
 */
import { render } from 'ink'
import { createElement } from 'react'
import type { CliOptions } from './cli.js'
import { exportSession } from './file.js'
import type { Session } from './session.js'
import { App } from './ui.js'

/** Runs the debugger UI on the terminal; resolves when it exits. */
export async function interactive(session: Session, title: string, o: Pick<CliOptions, 'export'>): Promise<void> {
  const path = o.export ?? `polymachine-dbg-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`
  const onExport = async (): Promise<string> => {
    await exportSession(session, path)
    return `exported ${session.log.length} records to ${path}`
  }
  const app = render(createElement(App, { session, title, onExport }), { exitOnCtrlC: true })
  await app.waitUntilExit()
}
