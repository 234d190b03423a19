export { createServiceApp, serverOptions, logRedaction, KEEP_ALIVE_TIMEOUT_MS, type ServerSettings, type ServiceApp } from './server-options.js'
export { openapi, type OpenApiOptions } from './openapi.js'
export { health, CHECK_TIMEOUT_MS, type ReadinessChecks } from './health.js'
export {
  ref, jsonResponse, problemResponse, problemResponses, responseHeaders, bearerSecurity, openSecurity, type ProblemStatus, type ProblemResponse
} from './responses.js'
export { pageCursor, type PageCursor } from './page-cursor.js'
export { schedulePeriodicJob, type PeriodicJob } from './periodic-job.js'
