import t from 'tap'
import type { AccountEvent } from '@latchkey/contracts'
import { createInProcessAccountEvents } from '../src/index.js'
import { createdEvent } from './helper.js'

t.test('in-process publish › rejects while no consumer is running', async t => {
  const events = createInProcessAccountEvents()
  t.equal(events.running, false)
  await t.rejects(events.publish(createdEvent()), /no account-event consumer/)
})

t.test('in-process publish › resolves only after the handler committed', async t => {
  const events = createInProcessAccountEvents()
  const seen: AccountEvent[] = []
  await events.start(async event => {
    await new Promise(resolve => setTimeout(resolve, 20))
    seen.push(event)
  })
  t.equal(events.running, true)
  const event = createdEvent()
  await events.publish(event)
  t.same(seen, [event])
  t.type(events.lagMs, 'number')
})

t.test('in-process publish › rejects when the handler throws, so the outbox retries', async t => {
  const events = createInProcessAccountEvents()
  await events.start(async () => { throw new Error('database down') })
  await t.rejects(events.publish(createdEvent()), /database down/)
})

t.test('in-process close › stops delivery and waits for the handler in flight', async t => {
  const events = createInProcessAccountEvents()
  let committed = false
  await events.start(async () => {
    await new Promise(resolve => setTimeout(resolve, 50))
    committed = true
  })
  const delivery = events.publish(createdEvent())
  await events.close()
  t.equal(committed, true)
  await delivery
  t.equal(events.running, false)
  await t.rejects(events.publish(createdEvent()))
})
