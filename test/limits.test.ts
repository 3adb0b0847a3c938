import t from 'tap';
import { addDigit, addSize, growCapacity, parseDecimal, resolveLimits, MAX_SAFE } from '../lib/core/limits.js';

t.test('addDigit refuses to pass 2^53 - 1 instead of losing precision', async (t) => {
  let acc = 0;
  for (const ch of '9007199254740991') acc = addDigit(acc, Number(ch), 10);
  t.equal(acc, MAX_SAFE);
  t.equal(addDigit(acc, 0, 10), -1);
  t.equal(addDigit(0x1fffffffffffff, 0, 16), -1);
});

t.test('parseDecimal rejects overflow, signs, spaces and empty input', async (t) => {
  t.equal(parseDecimal('99999999999999999999'), -1);
  t.equal(parseDecimal('-1'), -1);
  t.equal(parseDecimal(' 1'), -1);
  t.equal(parseDecimal(''), -1);
  t.equal(parseDecimal('0042'), 42);
  t.equal(parseDecimal('11', 10), -1);
});

t.test('addSize and growCapacity never pass the limit', async (t) => {
  t.equal(addSize(MAX_SAFE, 1), -1);
  t.equal(addSize(5, 6, 10), -1);
  t.equal(addSize(5, 5, 10), 10);
  t.equal(growCapacity(256, 1000, 4096), 1024);
  t.equal(growCapacity(2048, 3000, 3000), 3000);
  t.equal(growCapacity(0, 5000, 4096), -1);
});

t.test('resolveLimits rejects unknown names and non-sizes', async (t) => {
  t.equal(resolveLimits({ maxBodySize: 10 }).maxBodySize, 10);
  t.throws(() => resolveLimits({ maxBodySize: -1 }));
  t.throws(() => resolveLimits({ maxBodySize: 1.5 }));
  t.throws(() => resolveLimits({ nope: 1 } as never));
});
