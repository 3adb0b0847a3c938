// wafer's public surface.
export { listen, Server, DEFAULT_OPTIONS } from './server.js';
export type { ServerCore } from './server.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.js';
export { STATUS_TEXT, statusText } from './status.js';
export type {
  Handler, LoopKind, ServerOptions, ServerStats, WaferRequest, WaferResponse, WaferServer,
} from './types.js';
export type { ParserKind } from '../parser/types.js';
