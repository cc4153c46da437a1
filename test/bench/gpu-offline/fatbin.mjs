// Rewrites the CUDA fat binaries inside a shared library (llama.cpp's libggml-cuda.so) so that each holds only its
// PTX for one virtual architecture, marked with an older PTX ISA version, for a driver older than the toolkit that
// built it. Why: node-llama-cpp 3.22.1's CUDA build (CUDA 13.1) carries machine code for compute capability 8.6, 8.9,
// 12.0 and 12.1 and PTX (ISA 9.1) for 7.5, 8.0 and 9.0; an H200 has no machine code there, and driver 580 (CUDA 13.0)
// refuses ISA 9.1, so the first kernel aborts. ptxas 13.0 assembled all 143 rewritten compute_90 modules for sm_90
// (2026-12-04): the PTX uses nothing newer than ISA 9.0. This is for benchmarking a lent machine whose driver we
// cannot change; the daemon does not do it (it checks the GPU in a child and falls back, daemon/engine/gpu-check.ts).
//
// The other entries are dropped (each container's size is cut to the one entry left, the rest zeroed), which also
// makes the file compress to a sixth. Container and entry layout: the fatbin headers as read by cuobjdump — a
// container is {u32 magic 0xBA55ED50, u16 version, u16 header size, u64 entries' size}; an entry is {u16 kind (1 PTX,
// 2 ELF), u16, u32 header size, u64 padded payload size, u32 compressed size, u32, u16 minor, u16 major, u32 arch, …,
// u64 uncompressed size at 56}, payloads zstd-compressed. zstd comes from the command line (Debian's zstd package).
import { spawnSync } from "node:child_process";

const MAGIC = 0xba55ed50;

function zstd(args, input) {
  const r = spawnSync("zstd", args, { input, maxBuffer: 1 << 30 });
  if (r.error) throw new Error(`zstd is needed to rewrite the fat binaries (apt-get install zstd): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`zstd ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

function section(buf, wanted) {
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const strtab = Number(buf.readBigUInt64LE(shoff + buf.readUInt16LE(0x3e) * shentsize + 0x18));
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    const nameAt = strtab + buf.readUInt32LE(h);
    const name = buf.toString("latin1", nameAt, buf.indexOf(0, nameAt));
    if (name === wanted)
      return { offset: Number(buf.readBigUInt64LE(h + 0x18)), size: Number(buf.readBigUInt64LE(h + 0x20)) };
  }
  throw new Error(`no ${wanted} section: not a CUDA shared library`);
}

/** Rewrites `buf` in place; returns how many containers now hold PTX for compute_<arch> at ISA <isa>. */
export function keepPtxOnly(buf, { arch = 90, isa = [9, 0] } = {}) {
  const { offset, size } = section(buf, ".nv_fatbin");
  let p = offset;
  let rewritten = 0;
  while (p < offset + size) {
    if (buf.readUInt32LE(p) !== MAGIC) {
      p += 8; // containers are 8-aligned, padding between them
      continue;
    }
    const headerSize = buf.readUInt16LE(p + 6);
    const entriesSize = Number(buf.readBigUInt64LE(p + 8));
    const start = p + headerSize;
    let chosen;
    for (let q = start; q < start + entriesSize;) {
      const hs = buf.readUInt32LE(q + 4);
      const ps = Number(buf.readBigUInt64LE(q + 8));
      if (buf.readUInt16LE(q) === 1 && buf.readUInt32LE(q + 28) === arch) chosen = { q, hs };
      q += hs + ps;
    }
    if (!chosen) throw new Error(`a fat binary at ${p} has no PTX for compute_${arch}`);
    const header = Buffer.from(buf.subarray(chosen.q, chosen.q + chosen.hs));
    let ptx = zstd(["-d", "-c"], buf.subarray(chosen.q + chosen.hs, chosen.q + chosen.hs + header.readUInt32LE(16)));
    const version = `.version ${isa[0]}.${isa[1]}\n`;
    ptx = Buffer.from(ptx.toString("latin1").replace(/\.version \d+\.\d+\n/, version), "latin1");
    const packed = zstd(["-c", "-q", "--no-check", "-19"], ptx);
    const padded = Math.ceil(packed.length / 16) * 16;
    header.writeBigUInt64LE(BigInt(padded), 8);
    header.writeUInt32LE(packed.length, 16);
    header.writeUInt16LE(isa[1], 24);
    header.writeUInt16LE(isa[0], 26);
    header.writeBigUInt64LE(BigInt(ptx.length), 56);
    const entry = Buffer.concat([header, packed, Buffer.alloc(padded - packed.length)]);
    if (entry.length > entriesSize) throw new Error(`the rewritten entry at ${p} outgrew its container`);
    buf.fill(0, start, start + entriesSize);
    entry.copy(buf, start);
    buf.writeBigUInt64LE(BigInt(entry.length), p + 8);
    rewritten++;
    p = start + entriesSize;
  }
  return rewritten;
}
