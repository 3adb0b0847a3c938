// wafer's public surface: the engine (lib/core/index.ts) and the app helpers (lib/app/).
export {
  listen, Server, DEFAULT_OPTIONS, type ServerCore,
  DEFAULT_LIMITS, resolveLimits, type Limits,
  STATUS_TEXT, statusText,
  type Handler, type LoopKind, type ServerOptions, type ServerStats, type UpgradeHandler, type UpgradeRequest,
  type WaferRequest, type WaferResponse, type WaferServer, type ResponseInfo,
  Lenient, type ParserKind,
  HttpError, errorStatus,
  statusForError, type ErrorCode, type HpeCode, headRuleStatus, type HeadRule, RequestBodyError,
} from './core/index.js';
// App helpers (router, query/body parsing, static files).
export { router, type Router } from './app/router.js';
export { decodeComponent, parseQuery, query, type Params, type DecodeOptions } from './app/query.js';
export { readBody, readJson, readForm, mediaType, type BodyOptions, type FormOptions } from './app/body.js';
export { serveFile, serveStatic, FileCache, type FileOptions, type StaticOptions } from './app/static.js';
export { BodyError, BodyTooLargeError, UnsupportedMediaTypeError, BodyParseError, type BodyErrorCode } from './app/body.js';
