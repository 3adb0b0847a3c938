// The head the wafer parser hands to its sink for a long head: a RequestHead whose rawHeaders are
// made on first read, from the fields kept as one string (parser/head-fields.ts). (Short and cut
// heads go over as plain objects with their strings.)
import type { HeadFields } from './head-fields.js';
import type { RequestHead } from './types.js';

/** A head whose `rawHeaders` are made from `fields` on first read. */
export class WaferHead implements RequestHead {
  method: string;
  url: string;
  versionMajor: number;
  versionMinor: number;
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  upgrade: boolean;
  readonly fields: HeadFields;
  private list: string[] | null = null;

  constructor(method: string, url: string, versionMajor: number, versionMinor: number, fields: HeadFields,
    contentLength: number, chunked: boolean, keepAlive: boolean, upgrade: boolean) {
    this.method = method;
    this.url = url;
    this.versionMajor = versionMajor;
    this.versionMinor = versionMinor;
    this.fields = fields;
    this.contentLength = contentLength;
    this.chunked = chunked;
    this.keepAlive = keepAlive;
    this.upgrade = upgrade;
  }

  get rawHeaders(): string[] {
    let list = this.list;
    if (list === null) list = this.list = this.fields.raw();
    return list;
  }

  set rawHeaders(list: string[]) {
    this.list = list;
  }

  /** The plain shape (what the llhttp backend hands over), for JSON and logs. */
  toJSON(): RequestHead {
    return {
      method: this.method, url: this.url, versionMajor: this.versionMajor, versionMinor: this.versionMinor,
      rawHeaders: this.rawHeaders, contentLength: this.contentLength, chunked: this.chunked,
      keepAlive: this.keepAlive, upgrade: this.upgrade,
    };
  }
}
