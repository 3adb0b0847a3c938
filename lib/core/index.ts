// The engine's public API: everything here is re-exported by lib/index.ts (the package entry).
// The app helpers (lib/app/) import the engine only through this file, so they use nothing a
// user of the package could not (test/structure.test.ts checks it).
export { listen, Server, DEFAULT_OPTIONS } from './server.js';
export type { ServerCore } from './connection.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.js';
export { STATUS_TEXT, statusText } from './status.js';
export type {
  Handler, LoopKind, ServerOptions, ServerStats, UpgradeHandler, UpgradeRequest, WaferRequest, WaferResponse, WaferServer, ResponseInfo,
} from './types.js';
export { Lenient, type ParserKind } from '../../parser/types.js';
export { HttpError, errorStatus } from './http-error.js';
export { statusForError, type ErrorCode, type HpeCode } from '../../parser/errors.js';
export { headRuleStatus, type HeadRule } from './validate.js';
export { RequestBodyError } from './request.js';
