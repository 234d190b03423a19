/**
 * The users service's metrics (served by the metrics listener, see server.ts): the shared ones (per-route latency, revocation
 * view) plus whether account events are being consumed and their lag. Metric names and labels
 * match the auth service's, so one dashboard serves both.
 */
import fp from 'fastify-plugin'
import { Gauge } from 'prom-client'
import { fastifyServiceMetrics } from '@latchkey/fastify-metrics'

export default fp(async function metrics (app) {
  await app.register(fastifyServiceMetrics, { service: 'users', view: app.revocations })
  const registry = app.metrics.registry

  registry.registerMetric(new Gauge({
    name: 'latchkey_users_account_events_consuming',
    help: '1 while account events are being consumed (the transport answered its last request), else 0',
    registers: [],
    collect () { this.set(app.accountEvents.running ? 1 : 0) }
  }))
  registry.registerMetric(new Gauge({
    name: 'latchkey_users_account_event_lag_seconds',
    help: 'Seconds between the publication of the newest handled account event and its handling',
    registers: [],
    collect () {
      const lagMs = app.accountEvents.lagMs
      if (lagMs !== undefined) this.set(lagMs / 1000)
    }
  }))
}, { name: 'metrics', dependencies: ['jwt-guard', 'account-events-consumer'] })
