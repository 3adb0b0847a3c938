// The low-level state machine's own API (parser/machine.ts): zero-copy spans, no buffer kept
// between chunks, pause/resume, upgrade pause/resume and llhttp_finish() semantics.
import t from 'tap';
import { E, FINISH_SAFE, FINISH_SAFE_WITH_CB, FINISH_UNSAFE, RequestMachine, type CbResult, type MachineCallbacks } from '../parser/machine.js';

/** Callbacks that record what they see; `answer` decides what a named callback returns. */
class Rec implements MachineCallbacks {
  seen: string[] = [];
  bufs: Buffer[] = [];
  answer: (name: string) => CbResult = () => 0;
  private ev(name: string): CbResult {
    this.seen.push(name);
    return this.answer(name);
  }
  private span(name: string, buf: Buffer, s: number, e: number): CbResult {
    this.bufs.push(buf);
    this.seen.push(`${name}=${buf.toString('latin1', s, e)}`);
    return this.answer(name);
  }
  onMessageBegin() { return this.ev('begin'); }
  onMethod(b: Buffer, s: number, e: number) { return this.span('method', b, s, e); }
  onMethodComplete() { return this.ev('method_complete'); }
  onUrl(b: Buffer, s: number, e: number) { return this.span('url', b, s, e); }
  onUrlComplete() { return this.ev('url_complete'); }
  onProtocol(b: Buffer, s: number, e: number) { return this.span('protocol', b, s, e); }
  onProtocolComplete() { return this.ev('protocol_complete'); }
  onVersion(b: Buffer, s: number, e: number) { return this.span('version', b, s, e); }
  onVersionComplete() { return this.ev('version_complete'); }
  onHeaderField(b: Buffer, s: number, e: number) { return this.span('field', b, s, e); }
  onHeaderFieldComplete() { return this.ev('field_complete'); }
  onHeaderValue(b: Buffer, s: number, e: number) { return this.span('value', b, s, e); }
  onHeaderValueComplete() { return this.ev('value_complete'); }
  onHeadersComplete() { return this.ev('headers_complete'); }
  onBody(b: Buffer, s: number, e: number) { return this.span('body', b, s, e); }
  onChunkHeader() { return this.ev('chunk_header'); }
  onChunkExtensionName(b: Buffer, s: number, e: number) { return this.span('ext_name', b, s, e); }
  onChunkExtensionNameComplete() { return this.ev('ext_name_complete'); }
  onChunkExtensionValue(b: Buffer, s: number, e: number) { return this.span('ext_value', b, s, e); }
  onChunkExtensionValueComplete() { return this.ev('ext_value_complete'); }
  onChunkComplete() { return this.ev('chunk_complete'); }
  onMessageComplete() { return this.ev('message_complete'); }
  onReset() { return this.ev('reset'); }
}

const bin = (s: string) => Buffer.from(s, 'latin1');

t.test('spans are views into the executed buffer, not copies', async (t) => {
  const rec = new Rec();
  const m = new RequestMachine(rec);
  const buf = bin('POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc');
  t.equal(m.execute(buf), 0);
  t.ok(rec.bufs.length > 0);
  t.ok(rec.bufs.every((b) => b === buf), 'every span callback got the very buffer');
});

t.test('no buffer is kept between chunks: a span cut by a chunk end is delivered up to it', async (t) => {
  const rec = new Rec();
  const m = new RequestMachine(rec);
  const first = bin('GET /a HTTP/1.1\r\nUser-Ag');
  t.equal(m.execute(first), 0);
  // (Its own copy of a remembered head, RepeatedHead.bytes, is no view of what it was given.)
  const held = Object.values(m).filter((v) => v instanceof Uint8Array && v.buffer === first.buffer);
  t.strictSame(held, [], 'the machine holds no view of the bytes it was given');
  t.equal(rec.seen[rec.seen.length - 1], 'field=User-Ag');
  t.equal(m.execute(bin('ent: x\r\n\r\n')), 0);
  t.ok(rec.seen.includes('field=ent'), 'the rest of the span from the next chunk');
  t.equal(rec.seen[rec.seen.length - 1], 'message_complete');
});

t.test("a callback answering 'pause' stops with HPE_PAUSED where it fired; resume() goes on", async (t) => {
  const rec = new Rec();
  rec.answer = (name) => (name === 'headers_complete' ? 'pause' : 0);
  const m = new RequestMachine(rec);
  const buf = bin('POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi');
  t.equal(m.execute(buf), E.PAUSED);
  t.equal(m.reason, 'Paused by on_headers_complete');
  t.equal(m.errorPos, buf.length - 2, 'at the end of the head');
  t.equal(m.execute(buf, m.errorPos), E.PAUSED, 'still paused until resume()');
  m.resume();
  rec.answer = () => 0;
  t.equal(m.execute(buf, m.errorPos), 0);
  t.strictSame(rec.seen.slice(-2), ['body=hi', 'message_complete']);
});

t.test('any other answer is llhttp\'s callback error', async (t) => {
  const rec = new Rec();
  rec.answer = (name) => (name === 'url_complete' ? 7 : 0);
  const m = new RequestMachine(rec);
  t.equal(m.execute(bin('GET / HTTP/1.1\r\n\r\n')), E.CB_URL_COMPLETE);
  t.equal(m.reason, '`on_url_complete` callback error');
});

t.test('an upgrade pauses with HPE_PAUSED_UPGRADE after the head; resumeAfterUpgrade() parses on', async (t) => {
  const rec = new Rec();
  const m = new RequestMachine(rec);
  const head = 'GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n';
  const buf = bin(head + 'GET /next HTTP/1.1\r\n\r\n');
  t.equal(m.execute(buf), E.PAUSED_UPGRADE);
  t.equal(m.errorPos, head.length);
  t.equal(m.upgrade, 1);
  m.resumeAfterUpgrade();
  t.equal(m.execute(buf, m.errorPos), 0);
  t.ok(rec.seen.includes('url=/next'));
});

t.test('finish(): safe between messages, unsafe inside one, completes a body read until EOF', async (t) => {
  const m = new RequestMachine(new Rec());
  t.equal(m.finishState, FINISH_SAFE);
  t.equal(m.finish(), 0);
  m.execute(bin('PUT / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab'));
  t.equal(m.finishState, FINISH_UNSAFE);
  t.equal(m.finish(), E.INVALID_EOF_STATE);
  t.equal(m.reason, 'Invalid EOF state');

  // lenient TRANSFER_ENCODING: a request whose final coding is not chunked is read until EOF
  const rec = new Rec();
  const eof = new RequestMachine(rec, 8);
  t.equal(eof.execute(bin('POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nzzz')), 0);
  t.equal(eof.finishState, FINISH_SAFE_WITH_CB);
  t.equal(eof.finish(), 0);
  t.equal(rec.seen[rec.seen.length - 1], 'message_complete');
});

t.test('reset() gives a fresh stream and keeps the lenient flags', async (t) => {
  const m = new RequestMachine(new Rec(), 1);
  t.not(m.execute(bin('BAD / HTTP/1.1\r\n')), 0);
  m.reset();
  t.equal(m.error, 0);
  t.equal(m.lenient, 1);
  t.equal(m.execute(bin('GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n')), 0, 'obs-fold still allowed');
});
