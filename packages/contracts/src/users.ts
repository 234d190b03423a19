/**
 * Profiles (users service): who a person is, kept apart from how they log in. Nothing from the
 * auth side (email, roles, status) is ever part of these shapes.
 */
import { Type, type Static } from '@sinclair/typebox'
import { PageQueryProperties, PageSchema, TimestampSchema, UuidSchema } from './common.js'
import { DisplayNameSchema } from './accounts.js'

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

export const BioSchema = Type.String({ maxLength: 500 })
export const AvatarUrlSchema = Type.String({ format: 'uri', pattern: '^https://', maxLength: 2048 })
/** Checked against Intl at run time: the schema only bounds its shape. */
export const LocaleSchema = Type.String({ minLength: 2, maxLength: 35, description: 'BCP 47 language tag' })
/** Checked against Intl at run time: the schema only bounds its shape. */
export const TimezoneSchema = Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone' })

export const ProfileSchema = Type.Object({
  id: UuidSchema,
  name: Type.String(),
  bio: Type.Union([Type.String(), Type.Null()]),
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
  locale: Type.Union([Type.String(), Type.Null()]),
  timezone: Type.Union([Type.String(), Type.Null()]),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema
}, { $id: 'Profile', additionalProperties: false })

export const PublicProfileSchema = Type.Object({
  id: UuidSchema,
  name: Type.String(),
  bio: Type.Union([Type.String(), Type.Null()]),
  avatarUrl: Type.Union([Type.String(), Type.Null()])
}, { $id: 'PublicProfile', additionalProperties: false })

/** PATCH: every field optional; `null` clears an optional field (RFC 7396). */
export const ProfilePatchBodySchema = Type.Object({
  name: Type.Optional(DisplayNameSchema),
  bio: Type.Optional(Nullable(BioSchema)),
  avatarUrl: Type.Optional(Nullable(AvatarUrlSchema)),
  locale: Type.Optional(Nullable(LocaleSchema)),
  timezone: Type.Optional(Nullable(TimezoneSchema))
}, { additionalProperties: false })

/** PUT: `name` required; an absent optional field becomes `null`. */
export const ProfilePutBodySchema = Type.Object({
  name: DisplayNameSchema,
  bio: Type.Optional(Nullable(BioSchema)),
  avatarUrl: Type.Optional(Nullable(AvatarUrlSchema)),
  locale: Type.Optional(Nullable(LocaleSchema)),
  timezone: Type.Optional(Nullable(TimezoneSchema))
}, { additionalProperties: false })

export const ListUsersQuerySchema = Type.Object({
  ...PageQueryProperties,
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Case-insensitive name prefix' }))
}, { additionalProperties: false })

export const PublicProfilePageSchema = PageSchema(Type.Ref('PublicProfile'), 'PublicProfilePage')

export type Profile = Static<typeof ProfileSchema>
export type PublicProfile = Static<typeof PublicProfileSchema>
export type ProfilePatchBody = Static<typeof ProfilePatchBodySchema>
export type ProfilePutBody = Static<typeof ProfilePutBodySchema>
export type ListUsersQuery = Static<typeof ListUsersQuerySchema>
