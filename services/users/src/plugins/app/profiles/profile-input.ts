/**
 * The checks a JSON schema cannot express, and the normal form a profile field is stored in:
 * names trimmed, locales canonical BCP 47, time zones real IANA zones, avatars https only.
 * Each failure is a 400 naming the field.
 */
import { validationProblem } from '@latchkey/fastify-problem'
import { textLength, type ProfilePatchBody, type ProfilePutBody } from '@latchkey/contracts'

/** The fields a write sets; a key that is absent is left unchanged, null clears it. */
export interface ProfileChanges {
  name?: string
  bio?: string | null
  avatarUrl?: string | null
  locale?: string | null
  timezone?: string | null
}

const zonesByLowerName = new Map(Intl.supportedValuesOf('timeZone').map(zone => [zone.toLowerCase(), zone]))

function normalName (name: string): string {
  const trimmed = name.trim()
  const length = textLength(trimmed)
  if (length < 1 || length > 100) throw validationProblem('/name', 'must be 1 to 100 characters after trimming')
  return trimmed
}

function normalAvatarUrl (value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw validationProblem('/avatarUrl', 'must be an https URL')
  }
  if (url.protocol !== 'https:' || url.hostname === '') throw validationProblem('/avatarUrl', 'must be an https URL')
  return value
}

function normalLocale (value: string): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(value)
    if (canonical !== undefined) return canonical
  } catch {}
  throw validationProblem('/locale', 'must be a valid BCP 47 language tag')
}

function normalTimezone (value: string): string {
  const canonical = zonesByLowerName.get(value.toLowerCase())
  if (canonical !== undefined) return canonical
  // Links such as UTC or Asia/Calcutta are real IANA names Intl accepts but does not list.
  // Offsets ("+01:00") are not zones, whatever a newer Intl may accept.
  if (/^[A-Za-z]/.test(value)) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value }).format(0)
      return value
    } catch {}
  }
  throw validationProblem('/timezone', 'must be an IANA time zone such as Europe/Paris')
}

function normalOptional<T> (value: T | null | undefined, normal: (v: T) => T): T | null | undefined {
  return value === undefined || value === null ? value : normal(value)
}

/** PATCH / merge-patch: only the fields present change. */
export function patchChanges (body: ProfilePatchBody): ProfileChanges {
  const changes: ProfileChanges = {}
  if (body.name !== undefined) changes.name = normalName(body.name)
  if (body.bio !== undefined) changes.bio = body.bio
  const avatarUrl = normalOptional(body.avatarUrl, normalAvatarUrl)
  if (avatarUrl !== undefined) changes.avatarUrl = avatarUrl
  const locale = normalOptional(body.locale, normalLocale)
  if (locale !== undefined) changes.locale = locale
  const timezone = normalOptional(body.timezone, normalTimezone)
  if (timezone !== undefined) changes.timezone = timezone
  return changes
}

/** PUT: every editable field is set; an absent optional one becomes null. */
export function replacementChanges (body: ProfilePutBody): Required<ProfileChanges> {
  const changes = patchChanges(body)
  return {
    name: changes.name ?? normalName(body.name),
    bio: changes.bio ?? null,
    avatarUrl: changes.avatarUrl ?? null,
    locale: changes.locale ?? null,
    timezone: changes.timezone ?? null
  }
}
