/**
 * Logger settings both services share: every line names its service (the one-process launcher
 * writes both services to one stdout), and a person at a terminal gets readable lines from
 * pino-pretty while anything else (production, a pipe, a log collector) gets pino's JSON.
 */
import { createRequire } from 'node:module'
import { hostname } from 'node:os'
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'

export type ServiceName = 'auth' | 'users'

type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>

/** Pretty only for a person: stdout is a terminal and this is not production. */
export function wantsPrettyLogs (nodeEnv: string | undefined, stdout: { isTTY?: boolean } = process.stdout): boolean {
  return stdout.isTTY === true && nodeEnv !== 'production'
}

// Resolved from here: pino loads a transport in a worker, where the services' own
// node_modules (pnpm keeps them strict) would not find this package's dependency.
const prettyTarget = createRequire(import.meta.url).resolve('pino-pretty')

/** pino options at `level`, redacting `redact`, pretty-printed when `pretty`. */
export function serviceLoggerOptions (service: ServiceName, options: { level: string, redact: string[], pretty: boolean }): LoggerOptions {
  const logger: LoggerOptions = {
    level: options.level,
    redact: { paths: options.redact, censor: '[redacted]' },
    base: { service, pid: process.pid, hostname: hostname() }
  }
  if (options.pretty) {
    logger.transport = {
      target: prettyTarget,
      options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', messageFormat: `${service} › {msg}` }
    }
  }
  return logger
}

/**
 * A logger configuration or instance given by a caller (tests, the launcher), with the service
 * named on every line: options get it in `base`, an instance becomes a child bound to it.
 */
export function namedLogger (service: ServiceName, logger: FastifyBaseLogger): FastifyBaseLogger
export function namedLogger (service: ServiceName, logger: LoggerOption): LoggerOption
export function namedLogger (service: ServiceName, logger: LoggerOption | undefined): LoggerOption | undefined
export function namedLogger (service: ServiceName, logger: LoggerOption | FastifyBaseLogger | undefined): LoggerOption | FastifyBaseLogger | undefined {
  if (logger === undefined || logger === false) return logger
  if (logger === true) return { base: { service, pid: process.pid, hostname: hostname() } }
  if (isLoggerInstance(logger)) return logger.child({ service })
  return { ...logger, base: { pid: process.pid, hostname: hostname(), ...logger.base, service } }
}

type LoggerOption = NonNullable<FastifyServerOptions['logger']>

function isLoggerInstance (logger: LoggerOptions | FastifyBaseLogger): logger is FastifyBaseLogger {
  return 'child' in logger && typeof logger.child === 'function'
}

export interface ProcessLog {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
}

/**
 * JSON lines for what a process logs outside Fastify's logger (start-up, the Redis transports'
 * connection warnings), in pino's shape and levels so the same collector reads both.
 */
export function processLog (service: ServiceName | 'launcher'): ProcessLog {
  const write = (level: number, obj: object, msg: string): void => {
    const line = JSON.stringify({ level, time: Date.now(), service, ...obj, msg }, (_key, value: unknown) => value instanceof Error ? { type: value.name, message: value.message } : value)
    process.stdout.write(`${line}\n`)
  }
  return {
    info: (obj, msg) => { write(30, obj, msg) },
    warn: (obj, msg) => { write(40, obj, msg) },
    error: (obj, msg) => { write(50, obj, msg) }
  }
}
