// Every parser error code in one table. Numbers are llhttp's (`llhttp_errno_t`), so
// verdicts can be compared with the llhttp oracle code for code. The codes past llhttp's
// own list are the limit errors Node adds around llhttp (HPE_HEADER_OVERFLOW,
// HPE_CHUNK_EXTENSIONS_OVERFLOW) and wafer's URL limit.

export const HPE = {
  HPE_OK: 0,
  HPE_INTERNAL: 1,
  HPE_STRICT: 2,
  HPE_CR_EXPECTED: 25,
  HPE_LF_EXPECTED: 3,
  HPE_UNEXPECTED_CONTENT_LENGTH: 4,
  HPE_UNEXPECTED_SPACE: 30,
  HPE_CLOSED_CONNECTION: 5,
  HPE_INVALID_METHOD: 6,
  HPE_INVALID_URL: 7,
  HPE_INVALID_CONSTANT: 8,
  HPE_INVALID_VERSION: 9,
  HPE_INVALID_HEADER_TOKEN: 10,
  HPE_INVALID_CONTENT_LENGTH: 11,
  HPE_INVALID_CHUNK_SIZE: 12,
  HPE_INVALID_STATUS: 13,
  HPE_INVALID_EOF_STATE: 14,
  HPE_INVALID_TRANSFER_ENCODING: 15,
  HPE_CB_MESSAGE_BEGIN: 16,
  HPE_CB_HEADERS_COMPLETE: 17,
  HPE_CB_MESSAGE_COMPLETE: 18,
  HPE_CB_CHUNK_HEADER: 19,
  HPE_CB_CHUNK_COMPLETE: 20,
  HPE_PAUSED: 21,
  HPE_PAUSED_UPGRADE: 22,
  HPE_PAUSED_H2_UPGRADE: 23,
  HPE_USER: 24,
  // llhttp's errors for the *_complete callbacks of the newer settings.
  HPE_CB_URL_COMPLETE: 26,
  HPE_CB_STATUS_COMPLETE: 27,
  HPE_CB_HEADER_FIELD_COMPLETE: 28,
  HPE_CB_HEADER_VALUE_COMPLETE: 29,
  HPE_CB_RESET: 31,
  HPE_CB_METHOD_COMPLETE: 32,
  HPE_CB_VERSION_COMPLETE: 33,
  HPE_CB_CHUNK_EXTENSION_NAME_COMPLETE: 34,
  HPE_CB_CHUNK_EXTENSION_VALUE_COMPLETE: 35,
  HPE_CB_PROTOCOL_COMPLETE: 38,
  // Limits (not llhttp states): Node's names where Node has one.
  HPE_HEADER_OVERFLOW: 100,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 101,
  HPE_URL_OVERFLOW: 102,
  HPE_BODY_OVERFLOW: 103,
} as const;

/** What a parser reports: one of llhttp's names (or the limit errors above), never another string. */
export type HpeCode = keyof typeof HPE;

/**
 * What the server answers for: the parser's code, plus one of wafer's own. llhttp calls a
 * well-formed version it does not speak (HTTP/1.2, HTTP/3.0) HPE_INVALID_VERSION, the code it
 * gives a garbled one (HTTP/1.x); RFC 9110 §15.6.6 answers the first 505 and the second 400.
 * The parsers keep llhttp's code (the conformance fixtures and the differential tests compare
 * it) and flag the first kind in `ParseError.unsupportedVersion`; errorCode() names it.
 */
export type ErrorCode = HpeCode | 'HPE_UNSUPPORTED_VERSION';

export interface ParseError {
  code: HpeCode;
  reason: string;
  /** Byte offset, within the buffer passed to the failing execute(), where parsing stopped. */
  offset: number;
  /** The version was well-formed but is none of 0.9, 1.0, 1.1, 2.0 (see ErrorCode). */
  unsupportedVersion?: boolean;
}

/** The server's code for a parse error (see ErrorCode). */
export function errorCode(err: ParseError): ErrorCode {
  return err.unsupportedVersion === true ? 'HPE_UNSUPPORTED_VERSION' : err.code;
}

/**
 * The HTTP status a server answers a parse error with (RFC 9110 §15.5/15.6). One function,
 * so both parsers and both loops give the same answer for the same fault. Every code is
 * listed: a new one fails to compile until it is given a status.
 */
export function statusForError(code: ErrorCode): 400 | 413 | 414 | 431 | 505 {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431; // RFC 6585 §5
    case 'HPE_URL_OVERFLOW':
      return 414; // RFC 9110 §15.5.15
    case 'HPE_BODY_OVERFLOW':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413; // RFC 9110 §15.5.14
    case 'HPE_UNSUPPORTED_VERSION':
      return 505; // RFC 9110 §15.6.6; a malformed version (HPE_INVALID_VERSION) is a 400
    // Malformed messages (RFC 9110 §15.5.1, RFC 9112 §2.2, §3, §6.3).
    case 'HPE_STRICT':
    case 'HPE_CR_EXPECTED':
    case 'HPE_LF_EXPECTED':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_SPACE':
    case 'HPE_CLOSED_CONNECTION':
    case 'HPE_INVALID_METHOD':
    case 'HPE_INVALID_URL':
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_VERSION':
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_INVALID_STATUS':
    case 'HPE_INVALID_EOF_STATE':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return 400;
    // Not a fault of the request's bytes: a callback's error, a pause the server did not ask
    // for, or a code the llhttp adapter did not know (parser/llhttp.ts maps it to
    // HPE_INTERNAL). Nothing after them can be read as a request, so they end the connection
    // with a 400 like a malformed message.
    case 'HPE_OK':
    case 'HPE_INTERNAL':
    case 'HPE_CB_MESSAGE_BEGIN':
    case 'HPE_CB_HEADERS_COMPLETE':
    case 'HPE_CB_MESSAGE_COMPLETE':
    case 'HPE_CB_CHUNK_HEADER':
    case 'HPE_CB_CHUNK_COMPLETE':
    case 'HPE_PAUSED':
    case 'HPE_PAUSED_UPGRADE':
    case 'HPE_PAUSED_H2_UPGRADE':
    case 'HPE_USER':
    case 'HPE_CB_URL_COMPLETE':
    case 'HPE_CB_STATUS_COMPLETE':
    case 'HPE_CB_HEADER_FIELD_COMPLETE':
    case 'HPE_CB_HEADER_VALUE_COMPLETE':
    case 'HPE_CB_RESET':
    case 'HPE_CB_METHOD_COMPLETE':
    case 'HPE_CB_VERSION_COMPLETE':
    case 'HPE_CB_CHUNK_EXTENSION_NAME_COMPLETE':
    case 'HPE_CB_CHUNK_EXTENSION_VALUE_COMPLETE':
    case 'HPE_CB_PROTOCOL_COMPLETE':
      return 400;
    default:
      return unreachable(code);
  }
}

function unreachable(code: never): never {
  throw new TypeError(`no status for parse error code ${String(code)}`);
}

/** `code` when it is one of the parser codes above (a string from outside, e.g. Node's llhttp). */
export function isHpeCode(code: string): code is HpeCode {
  return Object.hasOwn(HPE, code);
}
