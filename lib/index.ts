// wafer's public surface.
export { listen, Server, DEFAULT_OPTIONS } from './server.js';
export type { ServerCore } from './server.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.js';
export { STATUS_TEXT, statusText } from './status.js';
export type {
  Handler, LoopKind, ServerOptions, ServerStats, WaferRequest, WaferResponse, WaferServer,
} from './types.js';
export { Lenient, type ParserKind } from '../parser/types.js';
export { statusForError, type ErrorCode, type HpeCode } from '../parser/errors.js';
export { headRuleStatus, type HeadRule } from './validate.js';
export { RequestBodyError } from './request.js';
// App helpers (router, query/body parsing, static files).
export { router, type Router } from './router.js';
export { HttpError, errorStatus } from './http-error.js';
export { decodeComponent, parseQuery, query, type Params, type DecodeOptions } from './query.js';
export { readBody, readJson, readForm, mediaType, type BodyOptions, type FormOptions } from './body.js';
export { BodyError, BodyTooLargeError, UnsupportedMediaTypeError, BodyParseError, type BodyErrorCode } from './body.js';
export { serveFile, serveStatic, FileCache, type FileOptions, type StaticOptions } from './static.js';
