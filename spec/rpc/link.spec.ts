import { createServer, connect as netConnect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { SocketLink } from '../../lib/rpc/link.js'
import { Msg } from '../../lib/rpc/index.js'
import { Cleanup, RawPeer } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

/** A connected pair on 127.0.0.1: the server side wrapped in a SocketLink, the client a RawPeer. */
async function linked(): Promise<{ link: SocketLink; peer: RawPeer; socket: Socket }> {
  let accepted: (s: Socket) => void = () => undefined
  const got = new Promise<Socket>((r) => (accepted = r))
  const srv = createServer((s) => accepted(s))
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  c.defer(() => new Promise<void>((r) => srv.close(() => r())))
  const port = (srv.address() as { port: number }).port
  const client = netConnect({ host: '127.0.0.1', port })
  const socket = await got
  const peer = c.add(RawPeer.wrap(client))
  const link = new SocketLink(socket)
  c.defer(() => link.bye('test over'))
  return { link, peer, socket }
}

describe('rpc SocketLink write batching', () => {
  it('frames sent in one macrotask go out in one socket write, in order', async () => {
    const { link, peer, socket } = await linked()
    let writes = 0
    const write = socket.write.bind(socket)
    socket.write = ((...a: Parameters<Socket['write']>) => {
      writes++
      return write(...a)
    }) as Socket['write']
    for (let n = 0; n < 100; n++) link.send({ type: Msg.Ping, n })
    await peer.until((m) => m.length >= 100)
    expect(writes).toBe(1)
    expect(peer.messages).toEqual(Array.from({ length: 100 }, (_, n) => [Msg.Ping, n]))
    link.send({ type: Msg.Ping, n: 100 }) // a later macrotask: a write of its own
    await peer.until((m) => m.length >= 101)
    expect(writes).toBe(2)
  })

  it('closing flushes what this macrotask queued before the BYE', async () => {
    const { link, peer } = await linked()
    for (let n = 0; n < 10; n++) link.send({ type: Msg.Ping, n })
    link.bye('done')
    await peer.until(() => peer.closed)
    expect(peer.messages).toEqual([...Array.from({ length: 10 }, (_, n) => [Msg.Ping, n]), [Msg.Bye, 'done']])
  })
})
