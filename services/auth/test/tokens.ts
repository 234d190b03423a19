/**
 * Token forgery for attack tests: tokens signed with keys the test makes, or re-assembled from a
 * genuine token's parts (shared with the users service's tests through test-support).
 */
export { attackerKey, b64url, decodePart, signEd25519, signHs256 } from '@latchkey/test-support'
