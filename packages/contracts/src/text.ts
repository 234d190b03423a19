/**
 * Text both services accept: well-formed Unicode without NUL. PostgreSQL cannot store NUL in
 * text, and a lone surrogate would be stored as U+FFFD, so two different inputs (two emails)
 * would become one value.
 */
const NUL_OR_LONE_SURROGATE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export function isWellFormedText (value: string): boolean {
  return !NUL_OR_LONE_SURROGATE.test(value)
}
