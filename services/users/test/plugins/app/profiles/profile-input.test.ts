import t, { type Test } from 'tap'
import { patchChanges, replacementChanges } from '../../../../src/plugins/app/profiles/profile-input.js'

function refusal (t: Test, run: () => unknown, path: string): void {
  t.throws(run, { statusCode: 400, code: 'validation_failed', errors: [{ path }] }, path)
}

t.test('profile normalisers › names are trimmed; locales become canonical BCP 47; time zones their IANA spelling', async t => {
  t.same(patchChanges({ name: '  Ada Lovelace \t' }), { name: 'Ada Lovelace' })
  t.same(patchChanges({ locale: 'EN-gb' }), { locale: 'en-GB' })
  t.same(patchChanges({ locale: 'zh-hant-tw' }), { locale: 'zh-Hant-TW' })
  t.same(patchChanges({ timezone: 'europe/paris' }), { timezone: 'Europe/Paris' })
  t.same(patchChanges({ timezone: 'UTC' }), { timezone: 'UTC' }, 'a link Intl accepts but does not list')
  t.same(patchChanges({ avatarUrl: 'https://cdn.example/a.png' }), { avatarUrl: 'https://cdn.example/a.png' })
})

t.test('profile normalisers › PATCH changes only what is present; null clears', async t => {
  t.same(patchChanges({}), {})
  t.same(patchChanges({ bio: null, avatarUrl: null, locale: null, timezone: null }), { bio: null, avatarUrl: null, locale: null, timezone: null })
  t.same(patchChanges({ bio: '  kept as written  ' }), { bio: '  kept as written  ' })
})

t.test('profile normalisers › PUT sets every field, an absent optional one to null', async t => {
  t.same(replacementChanges({ name: ' Ada ' }), { name: 'Ada', bio: null, avatarUrl: null, locale: null, timezone: null })
  t.same(replacementChanges({ name: 'Ada', locale: 'fr-fr', timezone: 'Asia/Tokyo', bio: 'b', avatarUrl: 'https://x.example/' }),
    { name: 'Ada', bio: 'b', avatarUrl: 'https://x.example/', locale: 'fr-FR', timezone: 'Asia/Tokyo' })
})

t.test('profile normalisers › each refusal is a 400 naming its field', async t => {
  refusal(t, () => patchChanges({ name: '   ' }), '/name')
  refusal(t, () => patchChanges({ name: 'x'.repeat(101) }), '/name')
  refusal(t, () => replacementChanges({ name: '' }), '/name')
  for (const avatarUrl of ['http://cdn.example/a.png', 'javascript:alert(1)', 'not a url', 'data:image/png;base64,AA==', 'https://']) {
    refusal(t, () => patchChanges({ avatarUrl }), '/avatarUrl')
  }
  for (const locale of ['not a locale', 'en_US_', '123']) refusal(t, () => patchChanges({ locale }), '/locale')
  for (const timezone of ['Mars/Olympus', '+01:00', 'UTC+1', '../../etc/passwd']) refusal(t, () => patchChanges({ timezone }), '/timezone')
})
