// The bit index's scan (bit-index.ts) as a small WebAssembly module with 128-bit SIMD: exact Hamming distance of a
// query to every entry, 16 entries at a time. Why WebAssembly: a full-width scan of 1M 512-bit entries is 64 MB of
// XOR and popcount; scalar JavaScript does 32 bits a step with a 12-operation popcount, i8x16.popcnt does 128 bits in
// one, and the exact scan lets the index drop the old 128-bit first stage (an approximation) without costing more.
// The module is assembled here, byte by byte from named opcodes (no toolchain or binary blob in the repository); it
// works on a memory the index owns and grows (imported, so growing it never copies through JavaScript).
//
// Memory layout (offsets in bytes; R = bytes of sign bits per entry, padded to a multiple of 16 with zero bits):
//   0          query: R rows of 16 bytes, row b = the query's byte b repeated 16 times
//   hist       distance histogram, u32 × (8R + 1), cleared by the caller before each scan
//   out        u32 count, then candidate slots (u32 × OUT_SLOTS)
//   head       per block of 16 entries, the first HEAD_ROWS rows (256 bits) of each: row b = byte b of the 16 entries
//   tail       per block, the remaining R − HEAD_ROWS rows, same shape
//   meta       per block, 16 × f64 expiry (ms; 0 = free slot), then 16 × u16 distance written by `scan`
// (head, tail and meta start where the index puts them: their sizes follow its capacity.)
// The byte-sliced block puts 16 entries in the 16 lanes of a vector: one load, XOR and popcount advance all 16
// distances by 8 bits each, and the per-entry sums fall out as u16 lanes without a horizontal add; 16 rows (128 bits)
// are one unrolled chunk. The head is a provable filter: its partial distances only grow, so a block whose 16 head
// distances all exceed the k-th best full distance seen so far cannot hold a top-k entry, and its tail is never read.
// The head of every entry is one contiguous array streamed front to back; tails are read only for blocks that pass.
// Only blocks with an entry within the k-th best so far reach the per-entry work (expiry, histogram, candidate list).
// (Stopping inside one interleaved block instead was tried first: the scan streamed the whole block anyway, so it
// saved no reads, and its unpredictable branch made near queries 1.8× slower at 1M entries.)

/** Candidate slots `scan` can list (more: `collect` lists them from the stored distances). */
export const OUT_SLOTS = 8192;
/** Rows (bytes of each entry) in the head region. */
export const HEAD_ROWS = 32;
/** Bytes of a block's meta: 16 expiries and 16 distances. */
export const META_BYTES = 16 * 8 + 16 * 2;

/** Byte offsets of the fixed regions for entries of `rowBytes` bytes (a multiple of 16), and where blocks may start. */
export function scanLayout(rowBytes: number): { hist: number; out: number; blocks: number } {
  const align = (x: number) => Math.ceil(x / 16) * 16;
  const hist = align(rowBytes * 16);
  const out = align(hist + (rowBytes * 8 + 1) * 4);
  const blocks = align(out + (OUT_SLOTS + 1) * 4);
  return { hist, out, blocks };
}

export interface ScanKernel {
  /**
   * Computes each live entry's distance (headRows + tailRows rows) and returns the cut: the k-th smallest distance
   * among live entries (0x7fff when fewer than k are live). Lists at `out` (count, then slots; at most `max`) every
   * live entry that was within the k-th best distance when scanned: a superset of those within the cut. Writes a
   * distance per slot for `collect`: exact, or above the cut (a block that skipped its tail holds lower bounds above
   * it; an expired entry in a block that reached the per-entry work holds 0xffff).
   */
  scan(
    blocks: number,
    headRows: number,
    tailRows: number,
    k: number,
    now: number,
    hist: number,
    out: number,
    max: number,
    headAt: number,
    tailAt: number,
    metaAt: number,
  ): number;
  /** Writes the slots with distance ≤ cut to `out` (at most `max`) and returns how many there are in all. */
  collect(blocks: number, cut: number, out: number, max: number, metaAt: number): number;
}

// ── a minimal assembler ──

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, "utf8")];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const VOID = 0x40;

/** Instructions (memory ones take align 0 and an offset). */
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const i32 = (n: number) => [0x41, ...sleb(n)];
const simd = (op: number) => [0xfd, ...uleb(op)];
const mem = (op: number[], offset = 0) => [...op, 0, ...uleb(offset)];
const op = {
  block: [0x02, VOID],
  loop: [0x03, VOID],
  if: [0x04, VOID],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  i32LtU: [0x49],
  i32GeU: [0x4f],
  i32LeU: [0x4d],
  i32Add: [0x6a],
  i32And: [0x71],
  i32Or: [0x72],
  i32Shl: [0x74],
  f64Le: [0x65],
  i32Load: (o = 0) => mem([0x28], o),
  i32Load16U: (o = 0) => mem([0x2f], o),
  f64Load: (o = 0) => mem([0x2b], o),
  i32Store: (o = 0) => mem([0x36], o),
  i32Store16: (o = 0) => mem([0x3b], o),
  v128Load: (o = 0) => mem(simd(0x00), o),
  v128Store: (o = 0) => mem(simd(0x0b), o),
  v128Const: (byte: number) => [...simd(0x0c), ...new Array<number>(16).fill(byte)],
  i16x8Splat: simd(0x10),
  i16x8LeU: simd(0x34),
  v128Or: simd(0x50),
  v128Xor: simd(0x51),
  v128AnyTrue: simd(0x53),
  i8x16Popcnt: simd(0x62),
  i8x16Add: simd(0x6e),
  i16x8ExtendLowI8x16U: simd(0x89),
  i16x8ExtendHighI8x16U: simd(0x8a),
  i16x8Add: simd(0x8e),
};

function scanBody(): number[] {
  // params: 0 blocks, 1 headRows, 2 tailRows, 3 k, 4 now (f64), 5 hist, 6 out, 7 max, 8 headAt, 9 tailAt, 10 metaAt
  const [blocks, headRows, tailRows, k, now, hist, out, max, headAt, tailAt, metaAt] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
  ];
  // i32 locals 11…29, v128 locals 30…33
  const [blk, ph, pt, pm, c, pc, qc, pbase, qbase, rowsEnd, D, seen, e, d, changed, sum, count, hstep, tstep] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
  ];
  const [lo, hi, Dv, acc] = [30, 31, 32, 33];
  // One chunk: 16 rows, unrolled, each row one load of 16 entries' byte, one of the query's, XOR, popcount, add.
  const row = (r: number) => [
    ...get(pc),
    ...op.v128Load(r * 16),
    ...get(qc),
    ...op.v128Load(r * 16),
    ...op.v128Xor,
    ...op.i8x16Popcnt,
  ];
  const chunk = [...row(0)];
  for (let r = 1; r < 16; r++) chunk.push(...row(r), ...op.i8x16Add);
  // Rows [0, rowsEnd) from pbase (entries) and qbase (query), a chunk at a time; each chunk's sum (on the stack)
  // widens into the u16 sums (low 8 entries, high 8 entries).
  // prettier-ignore
  const chunks = [
    ...i32(0), ...set(c),
    ...op.loop,
    ...get(pbase), ...get(c), ...op.i32Add, ...set(pc),
    ...get(qbase), ...get(c), ...op.i32Add, ...set(qc),
    ...chunk, ...set(acc),
    ...get(lo), ...get(acc), ...op.i16x8ExtendLowI8x16U, ...op.i16x8Add, ...set(lo),
    ...get(hi), ...get(acc), ...op.i16x8ExtendHighI8x16U, ...op.i16x8Add, ...set(hi),
    ...get(c), ...i32(256), ...op.i32Add, ...tee(c), ...get(rowsEnd), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
  ];
  // Some entry of the block within the k-th best distance so far (an i32 on the stack).
  // prettier-ignore
  const anyWithin = [
    ...get(lo), ...get(Dv), ...op.i16x8LeU, ...get(hi), ...get(Dv), ...op.i16x8LeU, ...op.v128Or, ...op.v128AnyTrue,
  ];
  // prettier-ignore
  const code = [
    ...get(headRows), ...i32(4), ...op.i32Shl, ...set(hstep),
    ...get(tailRows), ...i32(4), ...op.i32Shl, ...set(tstep),
    ...i32(0x7fff), ...tee(D), ...op.i16x8Splat, ...set(Dv),
    ...get(headAt), ...set(ph), ...get(tailAt), ...set(pt), ...get(metaAt), ...set(pm),
    ...op.block, ...op.loop, // per block
    ...get(blk), ...get(blocks), ...op.i32GeU, ...op.brIf(1),
    ...op.v128Const(0), ...set(lo), ...op.v128Const(0), ...set(hi),
    ...get(ph), ...set(pbase), ...i32(0), ...set(qbase), ...get(hstep), ...set(rowsEnd),
    ...chunks,
    // the tail rows only where the head left some entry within the k-th best so far: the head's partial distances
    // are lower bounds (distances only grow), so a block with none is out of the top k whatever its tail holds
    ...i32(0), ...get(tstep), ...op.i32LtU, ...anyWithin, ...op.i32And,
    ...op.if,
    ...get(pt), ...set(pbase), ...get(hstep), ...set(qbase), ...get(tstep), ...set(rowsEnd),
    ...chunks,
    ...op.end,
    ...get(pm), ...get(lo), ...op.v128Store(128),
    ...get(pm), ...get(hi), ...op.v128Store(144),
    // only where some entry is within the k-th best so far: expiry, histogram, candidate list
    ...anyWithin,
    ...op.if,
    ...i32(0), ...set(e),
    ...op.loop, // per entry
    ...get(pm), ...get(e), ...i32(3), ...op.i32Shl, ...op.i32Add, ...op.f64Load(),
    ...get(now), ...op.f64Le,
    ...op.if, // expired or a free slot: never a candidate
    ...get(pm), ...get(e), ...i32(1), ...op.i32Shl, ...op.i32Add, ...i32(0xffff), ...op.i32Store16(128),
    ...op.else,
    ...get(pm), ...get(e), ...i32(1), ...op.i32Shl, ...op.i32Add, ...op.i32Load16U(128), ...tee(d),
    ...get(D), ...op.i32LeU,
    ...op.if,
    ...get(hist), ...get(d), ...i32(2), ...op.i32Shl, ...op.i32Add, ...tee(sum),
    ...get(sum), ...op.i32Load(), ...i32(1), ...op.i32Add, ...op.i32Store(),
    ...get(seen), ...i32(1), ...op.i32Add, ...set(seen),
    ...get(count), ...get(max), ...op.i32LtU,
    ...op.if,
    ...get(out), ...get(count), ...i32(2), ...op.i32Shl, ...op.i32Add,
    ...get(blk), ...i32(4), ...op.i32Shl, ...get(e), ...op.i32Add, ...op.i32Store(4),
    ...op.end,
    ...get(count), ...i32(1), ...op.i32Add, ...set(count),
    ...get(d), ...get(D), ...op.i32LtU, ...get(changed), ...op.i32Or, ...set(changed),
    ...op.end,
    ...op.end,
    ...get(e), ...i32(1), ...op.i32Add, ...tee(e), ...i32(16), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
    // a nearer entry arrived and k are known: the cut is the k-th smallest distance in the histogram
    ...get(changed), ...get(seen), ...get(k), ...op.i32GeU, ...op.i32And,
    ...op.if,
    ...i32(0), ...set(sum), ...i32(0), ...set(d),
    ...op.loop,
    ...get(sum), ...get(hist), ...get(d), ...i32(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load(), ...op.i32Add,
    ...tee(sum), ...get(k), ...op.i32LtU,
    ...op.if, ...get(d), ...i32(1), ...op.i32Add, ...set(d), ...op.br(1), ...op.end,
    ...op.end,
    ...get(d), ...tee(D), ...op.i16x8Splat, ...set(Dv), ...i32(0), ...set(changed),
    ...op.end,
    ...op.end,
    ...get(ph), ...get(hstep), ...op.i32Add, ...set(ph),
    ...get(pt), ...get(tstep), ...op.i32Add, ...set(pt),
    ...get(pm), ...i32(META_BYTES), ...op.i32Add, ...set(pm),
    ...get(blk), ...i32(1), ...op.i32Add, ...set(blk),
    ...op.br(0),
    ...op.end, ...op.end, // per block
    ...get(out), ...get(count), ...op.i32Store(),
    ...get(D),
  ];
  return [
    ...vec([
      [...uleb(19), I32],
      [...uleb(4), V128],
    ]),
    ...code,
    ...op.end,
  ];
}

function collectBody(): number[] {
  // params: 0 blocks, 1 cut, 2 out, 3 max, 4 metaAt
  const [blocks, cut, out, max, metaAt] = [0, 1, 2, 3, 4];
  const [blk, p, e, count] = [5, 6, 7, 8];
  const cutv = 9;
  // prettier-ignore
  const body = [
    ...get(metaAt), ...i32(128), ...op.i32Add, ...set(p), // block 0's distances
    ...get(cut), ...op.i16x8Splat, ...set(cutv),
    ...op.block, ...op.loop,
    ...get(blk), ...get(blocks), ...op.i32GeU, ...op.brIf(1),
    ...get(p), ...op.v128Load(), ...get(cutv), ...op.i16x8LeU,
    ...get(p), ...op.v128Load(16), ...get(cutv), ...op.i16x8LeU, ...op.v128Or, ...op.v128AnyTrue,
    ...op.if,
    ...i32(0), ...set(e),
    ...op.loop,
    ...get(p), ...get(e), ...i32(1), ...op.i32Shl, ...op.i32Add, ...op.i32Load16U(), ...get(cut), ...op.i32LeU,
    ...op.if,
    ...get(count), ...get(max), ...op.i32LtU,
    ...op.if,
    ...get(out), ...get(count), ...i32(2), ...op.i32Shl, ...op.i32Add,
    ...get(blk), ...i32(4), ...op.i32Shl, ...get(e), ...op.i32Add, ...op.i32Store(),
    ...op.end,
    ...get(count), ...i32(1), ...op.i32Add, ...set(count),
    ...op.end,
    ...get(e), ...i32(1), ...op.i32Add, ...tee(e), ...i32(16), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
    ...op.end,
    ...get(p), ...i32(META_BYTES), ...op.i32Add, ...set(p),
    ...get(blk), ...i32(1), ...op.i32Add, ...set(blk),
    ...op.br(0),
    ...op.end, ...op.end,
    ...get(count),
  ];
  return [
    ...vec([
      [...uleb(4), I32],
      [...uleb(1), V128],
    ]),
    ...body,
    ...op.end,
  ];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const params = [I32, I32, I32, I32, F64, I32, I32, I32, I32, I32, I32];
  const collectParams = [I32, I32, I32, I32, I32];
  const code = [scanBody(), collectBody()];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec([
        [0x60, ...vec(params.map((t) => [t])), ...vec([[I32]])],
        [0x60, ...vec(collectParams.map((t) => [t])), ...vec([[I32]])],
      ]),
    ),
    ...section(2, vec([[...name("m"), ...name("memory"), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([[0], [1]])),
    ...section(
      7,
      vec([
        [...name("scan"), 0x00, 0],
        [...name("collect"), 0x00, 1],
      ]),
    ),
    ...section(10, vec(code.map((c) => [...uleb(c.length), ...c]))),
  ]);
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where this engine has no WebAssembly SIMD (the index then scans in JavaScript). */
function scanModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bytes = moduleBytes();
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** The kernel bound to `memory`, or null without WebAssembly SIMD. */
export function scanKernel(memory: WebAssembly.Memory): ScanKernel | null {
  const m = scanModule();
  if (!m) return null;
  return new WebAssembly.Instance(m, { m: { memory } }).exports as unknown as ScanKernel;
}

/** For the unit test: whether the fast path is available here. */
export function hasScanKernel(): boolean {
  return scanModule() !== null;
}
