// The parser's memos, one set per parser instance (a parser serves one connection at a time,
// and the server's pool lends it to the next). Both exist because keep-alive clients send the
// same head, or the same few short pieces, again and again; ParserOptions.caches turns them
// off (then every head is read and every string made anew, with the same result).
import type { ParserOptions } from './types.js';

/** The longest head remembered whole (a `GET /` from curl or wrk is 40–80 bytes). */
export const REPEAT_MAX = 128;

/** Whether memo `name` is on under ParserOptions.caches. */
export function parserCacheOn(option: ParserOptions['caches'], name: 'repeatHead' | 'shortStrings'): boolean {
  if (option === undefined || option === true) return true;
  if (option === false) return false;
  return option[name] !== false;
}

/**
 * The last head the machine's fast paths read whole (parser/machine.ts), and what reading it
 * left: a repeat of those bytes takes the same steps at once (MachineCallbacks.onRepeatHead),
 * and the wafer parser hands over the same strings (parser/wafer.ts).
 *
 * Invariant: when `length` is not 0, the head's bytes are `bytes[0, length)`, or, while
 * execute() runs over the buffer holding them, that buffer's [from, from + length); reading
 * them from the machine's START state leaves method, minor, flags and headerState as kept
 * here (they depend on nothing else); and `url`/`rawHeaders`, when rawHeaders is not null, are
 * the strings the wafer parser made of them. `length` 0: none (any other head clears it).
 */
export class RepeatedHead {
  /** Off: nothing is ever remembered (length stays 0). */
  readonly enabled: boolean;
  length = 0;
  /** Where the head lies in the buffer being executed; -1 once copied into `bytes`. */
  from = -1;
  /** Heads that differed from the one remembered, lately (1, 3, 7 … 63). */
  misses = 0;
  /** Heads to let pass before remembering one again. */
  wait = 0;
  readonly bytes: Buffer = Buffer.alloc(REPEAT_MAX);
  method = 0;
  minor = 0;
  flags = 0;
  /** The machine's header state after the head (its H_* constants; 0 is H_GENERAL). */
  headerState = 0;
  /** The wafer parser's strings of the head: its target, and its fields once it has come twice in a row. */
  url = '';
  rawHeaders: string[] | null = null;

  constructor(options: { enabled: boolean }) {
    this.enabled = options.enabled;
  }

  /** Forget the head. */
  clear(): void {
    this.length = 0;
    this.from = -1;
  }
}

/** Heads whose every piece is at most SHORT_PIECE bytes, and that have at most SHORT_ITEMS pieces. */
export const SHORT_PIECE = 16;
export const SHORT_ITEMS = 8;

/**
 * The strings the wafer parser made for the last short head, by item (target, name, value,
 * name, value…), and their bytes (item i at i * SHORT_PIECE): comparing a few bytes costs less
 * than making the string again, nor does the copy have to be collected.
 *
 * Invariant: `strings[i]` is the latin1 string of `bytes[i * SHORT_PIECE, + strings[i].length)`
 * (names spelled as the COMMON_NAMES constants of parser/head-strings.ts).
 */
export class ShortStrings {
  /** Off: `strings` stay empty, so no piece but an empty one ever matches (and '' is '' anyway). */
  readonly enabled: boolean;
  readonly strings: string[] = new Array<string>(SHORT_ITEMS).fill('');
  readonly bytes = new Uint8Array(SHORT_ITEMS * SHORT_PIECE);

  constructor(options: { enabled: boolean }) {
    this.enabled = options.enabled;
  }
}
