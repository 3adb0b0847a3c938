// The handler's header fields as a Response keeps them, and the checks a field passes as it is
// set. The fields are one flat array, [key, name, value, key, name, value, …] with `key` the
// lower-cased name: a handful of fields is searched faster in an array than in a
// dictionary-mode object, and nothing is allocated until the first setHeader. A name is checked
// and lower-cased once per server (FieldNameMemo), a value's characters once while it stays the
// last one found all ASCII (the `asciiValue` PassedString): lib/core/caches.ts.
import type { FieldNameMemo, PassedString } from './caches.js';
import { codedError } from './http-error.js';
import type { HeaderValue } from './response-input.js';

// RFC 9110 §5.1 field-name = token (§5.6.2).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A field name's lower-case form, once it is known to be a token. Header names a handler uses are few and repeat on every response. */
export function fieldKey(memo: FieldNameMemo, name: string): string {
  if (name === memo.lastName) return memo.lastKey;
  const known = memo.lower.get(name);
  if (known !== undefined) {
    memo.rememberLast(name, known);
    return known;
  }
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw codedError(TypeError, 'ERR_INVALID_HTTP_TOKEN', `Header name must be a valid HTTP token ["${String(name)}"]`);
  }
  const key = name.toLowerCase();
  memo.remember(name, key);
  return key;
}

/** What checkFieldValue() found. */
export const enum FieldValue { Bad = 0, Ascii = 1, Wide = 2 }

/**
 * Bad for a character a field value (RFC 9110 §5.5: HTAB, SP, VCHAR, obs-text) or a reason
 * phrase (RFC 9112 §4, the same set) cannot hold: a control character other than HTAB (CR and
 * LF would end the head or start a new field), DEL, or anything past U+00FF (no byte for it) —
 * what node:http refuses as ERR_INVALID_CHAR. Wide when some character is obs-text
 * (0x80..0xFF), else Ascii.
 */
export function checkFieldValue(memo: PassedString, value: string): FieldValue {
  if (value === memo.passed) return FieldValue.Ascii;
  let wide = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 9) || c === 0x7f || c > 0xff) return FieldValue.Bad;
    if (c > 0x7f) wide = true;
  }
  if (wide) return FieldValue.Wide;
  memo.remember(value);
  return FieldValue.Ascii;
}

/** Where the field with lower-cased name `key` starts in the flat list, or -1. */
export function indexOfKey(fields: HeaderValue[], key: string): number {
  for (let i = 0; i < fields.length; i += 3) if (fields[i] === key) return i;
  return -1;
}
