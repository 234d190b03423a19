import t from 'tap'
import { ErrorCode, errorTitles, problemType } from '../src/index.js'

t.test('every error code has a title and a distinct problem type', async t => {
  const codes = Object.values(ErrorCode)
  t.equal(new Set(codes).size, codes.length, 'codes are distinct')
  for (const code of codes) {
    t.type(errorTitles[code], 'string', `${code} has a title`)
    t.match(problemType(code), /^urn:latchkey:problem:[a-z_]+$/)
  }
})
