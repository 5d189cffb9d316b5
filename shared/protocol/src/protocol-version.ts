/**
 * The wire protocol's version, sent as `v` in every message and checked on decode. Bump it on any
 * change an older peer would misread (a renamed or retyped field, a new required field); adding
 * an optional field does not need a bump, since older decoders drop unknown fields.
 */
export const PROTOCOL_VERSION = 1;
