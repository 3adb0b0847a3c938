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

export type HpeCode = keyof typeof HPE;

export interface ParseError {
  code: HpeCode | string;
  reason: string;
  /** Byte offset, within the buffer passed to the failing execute(), where parsing stopped. */
  offset: number;
}

/**
 * The HTTP status a server answers a parse error with (RFC 9110 §15.5/15.6). One function,
 * so both parsers and both loops give the same answer for the same fault.
 */
export function statusForError(code: string, reason?: string): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431; // RFC 6585 §5
    case 'HPE_URL_OVERFLOW':
      return 414; // RFC 9110 §15.5.15
    case 'HPE_BODY_OVERFLOW':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413; // RFC 9110 §15.5.14
    case 'HPE_INVALID_TRANSFER_ENCODING_UNKNOWN':
      return 501; // RFC 9112 §6.1: unknown transfer coding
    case 'HPE_INVALID_VERSION':
      // RFC 9110 §15.6.6: 505 only for a well-formed version we do not support (llhttp's
      // reason 'Invalid HTTP version', e.g. HTTP/2.0); a malformed one is a 400.
      return reason === undefined || reason === 'Invalid HTTP version' ? 505 : 400;
    default:
      return 400;
  }
}
