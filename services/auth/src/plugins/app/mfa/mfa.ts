/**
 * Two-factor authentication: TOTP enrolment (pending until its first code), recovery codes, the
 * second step of log in, removal and the administrator's reset.
 *
 * - A code is accepted once: its time step must be later than the last accepted one, taken in one
 *   conditional UPDATE, so replicas agree (ASVS 6.5.1). ±1 step of drift.
 * - Every code check counts as a log-in attempt of the account under the failed-log-in limits
 *   (per account and network, and per account), counted before it runs; a log-in's mfaToken also
 *   allows MAX_ATTEMPTS checks, reserved atomically, then it is dead.
 * - The TOTP secret rests only sealed under SECRETS_KEY (the secret box), bound to its account.
 */
import fp from 'fastify-plugin'
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Sql } from 'postgres'
import QRCode from 'qrcode'
import type { MfaLogInBody, MfaStatus, RecoveryCodes, TokenPair, TotpEnrolment } from '@latchkey/contracts'
import { HttpProblem, validationProblem } from '@latchkey/fastify-problem'
import { errors } from '../../../errors.js'
import { findAccountById, type AccountRecord } from '../accounts/accounts-repository.js'
import type { SecretBox } from '../secrets/secret-box.js'
import type { ClientInfo } from '../sessions/sessions.js'
import {
  claimChallengeAttempt, countRecoveryCodesLeft, deleteTotpFactor, findTotpFactor, hasConfirmedTotp, insertChallenge,
  replaceRecoveryCodes, upsertPendingTotp, useChallenge, useRecoveryCode, useTotpStep
} from './mfa-repository.js'
import { base32Of, hashRecoveryCode, matchingStep, newRecoveryCodes, newTotpSecret, otpauthUri } from './totp.js'

/** Lifetime of an mfaToken, seconds. */
const CHALLENGE_TTL = 300
/** Code checks one mfaToken allows. */
const MAX_ATTEMPTS = 5

export interface MfaOptions {
  sql: Sql
  secretBox: SecretBox
  /** The issuer authenticator apps show beside the account (MFA_ISSUER). */
  issuer: string
  /** STEP_UP_MAX_AGE: how long after a log in with a second factor sensitive changes need no fresh code. */
  stepUpMaxAge: number
}

/** A second factor: a TOTP code or a recovery code. */
export interface SecondFactorProof { code?: string | undefined, recoveryCode?: string | undefined }

function exactlyOne (proof: SecondFactorProof): SecondFactorProof {
  if ((proof.code === undefined) === (proof.recoveryCode === undefined)) throw validationProblem('', 'give exactly one of code and recoveryCode')
  return proof
}

export const totpContext = (accountId: string): string => `totp-secret:${accountId}`

export function createMfa (app: FastifyInstance, options: MfaOptions) {
  const { sql, secretBox } = options
  const { passwordHasher, abuseLimits, revoker } = app

  async function requireAccount (id: string): Promise<AccountRecord> {
    const account = await findAccountById(sql, id)
    if (account === undefined) throw errors.accountNotFound()
    return account
  }

  /** Whether the proof holds, spending the TOTP step or recovery code it used. */
  async function verify (accountId: string, proof: SecondFactorProof, factor: 'confirmed' | 'pending'): Promise<boolean> {
    if (proof.recoveryCode !== undefined) {
      return factor === 'confirmed' && await useRecoveryCode(sql, accountId, hashRecoveryCode(proof.recoveryCode))
    }
    if (proof.code === undefined) return false
    const row = await findTotpFactor(sql, accountId)
    if (row === undefined || (row.confirmedAt !== null) !== (factor === 'confirmed')) return false
    const step = matchingStep(secretBox.open(row.secretEnvelope, totpContext(accountId)), proof.code)
    return step !== undefined && await useTotpStep(sql, accountId, step, factor === 'confirmed')
  }

  /** A code check of a signed-in account, counted as a log-in attempt of it (429 once blocked). */
  async function requireSecondFactor (account: AccountRecord, proof: SecondFactorProof, ip: string, factor: 'confirmed' | 'pending' = 'confirmed'): Promise<void> {
    const passed = await abuseLimits.checkPassword(account.email, ip, async () => await verify(account.id, proof, factor) || undefined)
    if (passed === undefined) throw errors.invalidMfaCode(403)
  }

  async function requirePassword (account: AccountRecord, password: string, ip: string): Promise<void> {
    const passed = await abuseLimits.checkPassword(account.email, ip, async () => await passwordHasher.verifyPassword(account.passwordHash, password) || undefined)
    if (passed === undefined) throw errors.invalidPassword()
  }

  async function freshRecoveryCodes (tx: Sql, accountId: string): Promise<RecoveryCodes> {
    const recoveryCodes = newRecoveryCodes()
    await replaceRecoveryCodes(tx, accountId, recoveryCodes.map(hashRecoveryCode))
    return { recoveryCodes }
  }

  return {
    /**
     * Step-up before a sensitive change (password, email, deletion): with a factor active, a
     * current code, or an access token whose session passed a second factor within
     * STEP_UP_MAX_AGE; else 401 step_up_required. A wrong code is 403 invalid_mfa_code.
     */
    async requireStepUp (auth: { sub: string, amr: string[], auth_time: number }, code: string | undefined, ip: string): Promise<void> {
      if (!await hasConfirmedTotp(sql, auth.sub)) return
      if (code !== undefined) {
        await requireSecondFactor(await requireAccount(auth.sub), { code }, ip)
        return
      }
      if (auth.amr.includes('otp') && Date.now() / 1000 - auth.auth_time <= options.stepUpMaxAge) return
      throw errors.stepUpRequired()
    },

    async status (accountId: string): Promise<MfaStatus> {
      const factor = await findTotpFactor(sql, accountId)
      const confirmedAt = factor?.confirmedAt ?? null
      return {
        totp: { enabled: confirmedAt !== null, createdAt: confirmedAt?.toISOString() ?? null },
        recoveryCodesLeft: confirmedAt === null ? 0 : await countRecoveryCodesLeft(sql, accountId)
      }
    },

    /** A new pending factor (replacing a pending one), after the password; 409 while one is active. */
    async startEnrolment (accountId: string, password: string, ip: string): Promise<TotpEnrolment> {
      const sealer = secretBox
      const account = await requireAccount(accountId)
      await requirePassword(account, password, ip)
      const secret = newTotpSecret()
      if (!await upsertPendingTotp(sql, accountId, sealer.seal(secret, totpContext(accountId)))) throw errors.mfaAlreadyEnabled()
      const uri = otpauthUri(secret, options.issuer, account.email)
      return { secret: base32Of(secret), otpauthUri: uri, qrCodeSvg: await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) }
    },

    /** The pending factor's first code activates it; the recovery codes are shown this once. */
    async confirmEnrolment (accountId: string, code: string, ip: string): Promise<RecoveryCodes> {
      const account = await requireAccount(accountId)
      const factor = await findTotpFactor(sql, accountId)
      if (factor === undefined || factor.confirmedAt !== null) {
        throw factor === undefined ? errors.mfaNotEnabled('No enrolment is pending: start one at POST /accounts/me/mfa/totp') : errors.mfaAlreadyEnabled()
      }
      await requireSecondFactor(account, { code }, ip, 'pending')
      return await freshRecoveryCodes(sql, accountId)
    },

    /** Removes the factor with the password and a second factor; every other session is revoked. */
    async remove (accountId: string, currentSessionId: string, body: { password: string } & SecondFactorProof, ip: string): Promise<void> {
      const proof = exactlyOne(body)
      const account = await requireAccount(accountId)
      if (!await hasConfirmedTotp(sql, accountId)) throw errors.mfaNotEnabled('Two-factor authentication is not enabled')
      await requirePassword(account, body.password, ip)
      await requireSecondFactor(account, proof, ip)
      const entries = await sql.begin(async tx => {
        await deleteTotpFactor(tx, accountId)
        return await revoker.revokeSessions(tx, { accountId, exceptId: currentSessionId }, 'mfa_removed')
      })
      await revoker.publish(entries)
    },

    async regenerateRecoveryCodes (accountId: string, code: string, ip: string): Promise<RecoveryCodes> {
      const account = await requireAccount(accountId)
      if (!await hasConfirmedTotp(sql, accountId)) throw errors.mfaNotEnabled('Two-factor authentication is not enabled')
      await requireSecondFactor(account, { code }, ip)
      return await freshRecoveryCodes(sql, accountId)
    },

    /** An administrator's reset: factor and recovery codes gone, every session and access token revoked. */
    async reset (accountId: string): Promise<void> {
      const entries = await sql.begin(async tx => {
        const account = await findAccountById(tx, accountId, { forUpdate: true })
        if (account === undefined) return undefined
        await deleteTotpFactor(tx, accountId)
        const cutOff = await revoker.revokeAccountTokens(tx, accountId)
        return [...await revoker.revokeSessions(tx, { accountId }, 'mfa_reset'), ...cutOff]
      })
      if (entries === undefined) throw errors.accountNotFound()
      await revoker.publish(entries)
    },

    /** The mfa_required answer to a right password: an mfaToken bound to this password check. */
    async challenge (account: { id: string, passwordHash: string }): Promise<HttpProblem> {
      const mfaToken = randomBytes(32).toString('base64url')
      await insertChallenge(sql, { hash: createHash('sha256').update(mfaToken).digest(), accountId: account.id, verifiedPasswordHash: account.passwordHash, ttlSeconds: CHALLENGE_TTL })
      return errors.mfaRequired(mfaToken)
    },

    /** The second step of log in: a code or a recovery code for the mfaToken → a session with amr pwd, otp. */
    async completeLogIn (body: MfaLogInBody, client: ClientInfo & { ip: string }): Promise<TokenPair> {
      const proof = exactlyOne(body)
      const hash = createHash('sha256').update(body.mfaToken).digest()
      const challenge = await claimChallengeAttempt(sql, hash, MAX_ATTEMPTS)
      if (challenge === undefined) throw errors.invalidMfaToken()
      const account = await findAccountById(sql, challenge.accountId)
      if (account === undefined) throw errors.invalidMfaToken()
      const passed = await abuseLimits.checkPassword(account.email, client.ip, async () => await verify(account.id, proof, 'confirmed') || undefined)
      if (passed === undefined) throw errors.invalidMfaCode(401)
      if (!await useChallenge(sql, hash)) throw errors.invalidMfaToken()
      return await app.sessions.openSession({ id: account.id, passwordHash: challenge.verifiedPasswordHash }, client, ['pwd', 'otp'])
    }
  }
}

export type Mfa = ReturnType<typeof createMfa>

declare module 'fastify' {
  interface FastifyInstance { mfa: Mfa }
}

export default fp(async function mfa (app, options: MfaOptions) {
  app.decorate('mfa', createMfa(app, options))
}, { name: 'mfa', dependencies: ['password-hasher', 'abuse-limits', 'revoker'] })
