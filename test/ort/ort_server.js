#!/usr/bin/env node
// ort_server.js — ONNX Runtime (onnxruntime-node, CPU) as a long-running process, so
// Python harnesses can run thousands of models without paying node start-up each time.
//
// PROTOCOL: one JSON object per line on stdin, exactly one JSON reply per line on stdout,
// in order. Requests are handled one at a time; start several servers for parallelism.
// Nothing else is ever written to stdout (ORT logging goes to stderr, errors only).
//
// Every request may carry "id" (any JSON value), echoed back in the reply. "op" selects:
//
//   {"op":"run", "model":PATH, <inputs>, "outputs_dir":DIR,
//    "output_format":"pb"|"raw", "threads":1, "opt_level":"all", "fill_missing":false}
//     -> {"ok":true, "outputs":[{"name","dtype","dims","file"}...], "load_ms", "run_ms"}
//     Outputs come in the session's output order. "pb" (default) writes DIR/output_K.pb
//     (an ONNX TensorProto with name, dims, data_type, raw_data; string_data for strings);
//     "raw" writes DIR/output_K.bin (little-endian element bytes; strings as a JSON array).
//     Without "outputs_dir" nothing is written and "file" is null (useful for a smoke run).
//
//   {"op":"bench", "model", <inputs>, "warmup":3, "runs":20, "threads":1, "fill_missing":true}
//     -> {"ok":true, "median_ms", "min_ms", "mean_ms", "max_ms", "runs", "load_ms"}
//
//   {"op":"info", "model", "threads"?}
//     -> {"ok":true, "inputs":[{name,is_tensor,dtype,dims}], "outputs":[...]}
//     Symbolic dimensions are reported as strings, e.g. "batch".
//
//   {"op":"ping"} -> {"ok":true, "version":ORT_VERSION}
//   {"op":"drop"} -> forgets cached sessions.   {"op":"quit"} -> replies, then exits.
//
// <inputs> is one of:
//   "inputs": {NAME: {"dtype":"float32", "dims":[1,3,224,224], "data_file":PATH}   raw bytes
//             | {"pb":PATH}}                                                    TensorProto
//   "test_data_set": DIR    DIR/input_K.pb fed like ONNX's backend runner: by position in
//                           the session's input order, or by name when every file names a
//                           distinct model input.
//   Inputs not given are an error, unless "fill_missing" is set: then they are filled with
//   deterministic values (floats uniform in [0,1), integers 0, bools false) and symbolic
//   dims take "dim_values":{SYMBOL:N} (default 1).
//
// Failure: {"ok":false, "stage":"request"|"load"|"input"|"run"|"output", "error":MESSAGE}.
// "load" means ORT could not create a session (unsupported op/type/opset or invalid model);
// "run" means the session failed while executing.
//
// dtypes are ORT's names: float32 float64 float16 int8 uint8 int16 uint16 int32 uint32
// int64 uint64 bool string. Sessions are cached (key: path, mtime, size, threads, opt_level).
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const ort = require('onnxruntime-node');

// ONNX TensorProto.DataType <-> ORT dtype names and element sizes.
const ONNX_TO_ORT = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};
const ORT_TO_ONNX = Object.fromEntries(Object.entries(ONNX_TO_ORT).map(([k, v]) => [v, +k]));
const TYPED = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array,
  uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array,
  uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array, bool: Uint8Array,
};

class StageError extends Error {
  constructor(stage, message) { super(message); this.stage = stage; }
}

// ---------------------------------------------------------------- protobuf, minimal
// Only what TensorProto needs: varint, 32/64-bit fixed, length-delimited fields.

class Reader {
  constructor(buf) { this.buf = buf; this.pos = 0; }
  eof() { return this.pos >= this.buf.length; }
  varint() { // BigInt, unsigned 64-bit
    let result = 0n, shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }
  bytes() {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

// Repeated scalar field, packed (wire 2) or not: append values to out.
function readRepeated(r, wire, kind, out) {
  const one = (rr) => {
    if (kind === 'float') { const v = rr.buf.readFloatLE(rr.pos); rr.pos += 4; return v; }
    if (kind === 'double') { const v = rr.buf.readDoubleLE(rr.pos); rr.pos += 8; return v; }
    return rr.varint();
  };
  if (wire === 2) {
    const sub = new Reader(r.bytes());
    while (!sub.eof()) out.push(one(sub));
  } else {
    out.push(one(r));
  }
}

function decodeTensorProto(buf) {
  const r = new Reader(buf);
  const t = { dims: [], dataType: 0, name: '', raw: null, floats: [], ints32: [], ints64: [],
              doubles: [], uints64: [], strings: [], external: false };
  while (!r.eof()) {
    const key = Number(r.varint());
    const field = key >>> 3, wire = key & 7;
    switch (field) {
      case 1: readRepeated(r, wire, 'varint', t.dims); break;
      case 2: t.dataType = Number(r.varint()); break;
      case 4: readRepeated(r, wire, 'float', t.floats); break;
      case 5: readRepeated(r, wire, 'varint', t.ints32); break;
      case 6: t.strings.push(Buffer.from(r.bytes()).toString('utf8')); break;
      case 7: readRepeated(r, wire, 'varint', t.ints64); break;
      case 8: t.name = Buffer.from(r.bytes()).toString('utf8'); break;
      case 9: t.raw = r.bytes(); break;
      case 10: readRepeated(r, wire, 'double', t.doubles); break;
      case 11: readRepeated(r, wire, 'varint', t.uints64); break;
      case 14: t.external = Number(r.varint()) === 1; break;
      default: r.skip(wire);
    }
  }
  t.dims = t.dims.map((d) => Number(BigInt.asIntN(64, d)));
  return t;
}

const toInt32 = (v) => Number(BigInt.asIntN(32, v));

// TensorProto bytes -> {name, tensor: ort.Tensor}
function tensorFromPb(buf) {
  const t = decodeTensorProto(buf);
  const dtype = ONNX_TO_ORT[t.dataType];
  if (!dtype) throw new Error(`TensorProto data_type ${t.dataType} not supported by onnxruntime-node`);
  if (t.external) throw new Error('TensorProto with external data not supported');
  const count = t.dims.reduce((a, b) => a * b, 1);
  let data;
  if (dtype === 'string') {
    data = t.strings;
  } else if (t.raw) {
    const Arr = TYPED[dtype];
    const copy = new Uint8Array(t.raw.length); // copy: raw_data need not be aligned
    copy.set(t.raw);
    data = new Arr(copy.buffer, 0, t.raw.length / Arr.BYTES_PER_ELEMENT);
  } else {
    const Arr = TYPED[dtype];
    switch (dtype) {
      case 'float32': data = Float32Array.from(t.floats); break;
      case 'float64': data = Float64Array.from(t.doubles); break;
      case 'int64': data = BigInt64Array.from(t.ints64.map((v) => BigInt.asIntN(64, v))); break;
      case 'uint64': data = BigUint64Array.from(t.uints64); break;
      case 'uint32': data = Uint32Array.from(t.uints64.map(Number)); break;
      default: data = Arr.from(t.ints32.map(toInt32)); // int8/16/32, uint8/16, bool, float16 bits
    }
  }
  if (data.length !== count) throw new Error(`TensorProto ${t.name}: ${data.length} elements for dims [${t.dims}]`);
  return { name: t.name, tensor: new ort.Tensor(dtype, data, t.dims) };
}

function writeVarint(parts, v) {
  let x = BigInt.asUintN(64, BigInt(v));
  const bytes = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    bytes.push(b);
  } while (x);
  parts.push(Buffer.from(bytes));
}
function writeBytesField(parts, field, buf) {
  writeVarint(parts, (field << 3) | 2);
  writeVarint(parts, buf.length);
  parts.push(buf);
}

function tensorToPb(name, tensor) {
  const parts = [];
  for (const d of tensor.dims) { writeVarint(parts, (1 << 3) | 0); writeVarint(parts, d); }
  writeVarint(parts, (2 << 3) | 0);
  writeVarint(parts, ORT_TO_ONNX[tensor.type]);
  if (tensor.type === 'string') {
    for (const s of tensor.data) writeBytesField(parts, 6, Buffer.from(s, 'utf8'));
  }
  writeBytesField(parts, 8, Buffer.from(name, 'utf8'));
  if (tensor.type !== 'string') {
    const d = tensor.data;
    writeBytesField(parts, 9, Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- sessions

const sessions = new Map(); // key -> session, insertion order = LRU order
const MAX_SESSIONS = 4;

async function getSession(req) {
  if (typeof req.model !== 'string') throw new StageError('request', '"model" (a path) is required');
  let st;
  try { st = fs.statSync(req.model); } catch (e) { throw new StageError('load', `cannot open model: ${e.message}`); }
  const threads = req.threads || 1;
  const optLevel = req.opt_level || 'all';
  const key = [path.resolve(req.model), st.mtimeMs, st.size, threads, optLevel].join('|');
  if (sessions.has(key)) {
    const s = sessions.get(key);
    sessions.delete(key);
    sessions.set(key, s);
    return { session: s, loadMs: 0 };
  }
  const t0 = process.hrtime.bigint();
  let session;
  try {
    session = await ort.InferenceSession.create(req.model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: optLevel,
      logSeverityLevel: 3,
    });
  } catch (e) {
    throw new StageError('load', oneLine(e));
  }
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  sessions.set(key, session);
  while (sessions.size > MAX_SESSIONS) {
    const [oldKey, old] = sessions.entries().next().value;
    sessions.delete(oldKey);
    old.release().catch(() => {});
  }
  return { session, loadMs };
}

function metaList(names, metas) {
  return names.map((name, i) => {
    const m = metas[i] || {};
    return m.isTensor === false ? { name, is_tensor: false }
      : { name, is_tensor: true, dtype: m.type, dims: m.shape };
  });
}

// ---------------------------------------------------------------- inputs

function readRawTensor(spec) {
  const Arr = TYPED[spec.dtype];
  if (!Arr && spec.dtype !== 'string') throw new Error(`unknown dtype ${spec.dtype}`);
  const buf = fs.readFileSync(spec.data_file);
  if (spec.dtype === 'string') return new ort.Tensor('string', JSON.parse(buf.toString('utf8')), spec.dims);
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  const n = buf.length / Arr.BYTES_PER_ELEMENT;
  const want = spec.dims.reduce((a, b) => a * b, 1);
  if (n !== want) throw new Error(`${spec.data_file}: ${n} elements for dims [${spec.dims}]`);
  return new ort.Tensor(spec.dtype, new Arr(copy.buffer, 0, n), spec.dims);
}

// Deterministic filler (xorshift32) so benchmark inputs are reproducible.
function fillTensor(meta, dimValues) {
  if (!meta.isTensor) throw new Error(`input ${meta.name} is not a tensor`);
  const dims = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : (dimValues[d] || 1)));
  const n = dims.reduce((a, b) => a * b, 1);
  const type = meta.type;
  if (type === 'string') return new ort.Tensor('string', new Array(n).fill(''), dims);
  const Arr = TYPED[type];
  const data = new Arr(n);
  if (type === 'float32' || type === 'float64') {
    let s = 2463534242;
    for (let i = 0; i < n; i++) {
      s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      data[i] = s / 4294967296;
    }
  }
  return new ort.Tensor(type, data, dims);
}

function gatherInputs(req, session) {
  const feeds = {};
  const names = session.inputNames;
  if (req.test_data_set) {
    const dir = req.test_data_set;
    const files = fs.readdirSync(dir).filter((f) => /^input_\d+\.pb$/.test(f))
      .sort((a, b) => parseInt(a.slice(6), 10) - parseInt(b.slice(6), 10));
    const loaded = files.map((f) => tensorFromPb(fs.readFileSync(path.join(dir, f))));
    const byName = loaded.length > 0 && loaded.every((x) => names.includes(x.name))
      && new Set(loaded.map((x) => x.name)).size === loaded.length;
    if (!byName && loaded.length > names.length) {
      throw new Error(`${loaded.length} input files but the model has ${names.length} inputs`);
    }
    loaded.forEach((x, i) => { feeds[byName ? x.name : names[i]] = x.tensor; });
  }
  for (const [name, spec] of Object.entries(req.inputs || {})) {
    feeds[name] = spec.pb ? tensorFromPb(fs.readFileSync(spec.pb)).tensor : readRawTensor(spec);
  }
  const metas = session.inputMetadata || [];
  names.forEach((name, i) => {
    const meta = metas[i] || { name, isTensor: true };
    if (meta.isTensor === false) {
      throw new Error(`input ${name} is not a tensor (sequence/map/optional are not supported by onnxruntime-node)`);
    }
    if (!(name in feeds)) {
      if (!req.fill_missing) throw new Error(`no value for model input ${name}`);
      feeds[name] = fillTensor({ ...meta, name }, req.dim_values || {});
    }
  });
  for (const name of Object.keys(feeds)) {
    if (!names.includes(name)) throw new Error(`${name} is not an input of the model (inputs: ${names.join(', ')})`);
  }
  return feeds;
}

// ---------------------------------------------------------------- requests

function oneLine(e) {
  const msg = (e && e.message) ? e.message : String(e);
  return msg.split('\n').map((s) => s.trim()).filter(Boolean).join(' | ');
}

async function withStage(stage, fn) {
  try { return await fn(); } catch (e) {
    if (e instanceof StageError) throw e;
    throw new StageError(stage, oneLine(e));
  }
}

function checkOutputsAreTensors(session) {
  const metas = session.outputMetadata || [];
  metas.forEach((m, i) => {
    if (m && m.isTensor === false) {
      throw new StageError('load', `output ${session.outputNames[i]} is not a tensor (not supported by onnxruntime-node)`);
    }
  });
}

async function handleRun(req) {
  const { session, loadMs } = await getSession(req);
  checkOutputsAreTensors(session);
  const feeds = await withStage('input', () => gatherInputs(req, session));
  const t0 = process.hrtime.bigint();
  const results = await withStage('run', () => session.run(feeds));
  const runMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const format = req.output_format || 'pb';
  const outputs = await withStage('output', () => {
    if (req.outputs_dir) fs.mkdirSync(req.outputs_dir, { recursive: true });
    return session.outputNames.map((name, k) => {
      const t = results[name];
      let file = null;
      if (req.outputs_dir) {
        if (format === 'pb') {
          file = path.join(req.outputs_dir, `output_${k}.pb`);
          fs.writeFileSync(file, tensorToPb(name, t));
        } else if (format === 'raw') {
          file = path.join(req.outputs_dir, `output_${k}.bin`);
          const d = t.data;
          fs.writeFileSync(file, t.type === 'string' ? JSON.stringify(d)
            : Buffer.from(d.buffer, d.byteOffset, d.byteLength));
        } else {
          throw new Error(`unknown output_format ${format}`);
        }
      }
      return { name, dtype: t.type, dims: t.dims.map(Number), file };
    });
  });
  return { ok: true, outputs, load_ms: loadMs, run_ms: runMs };
}

async function handleBench(req) {
  const { session, loadMs } = await getSession(req);
  const feeds = await withStage('input', () =>
    gatherInputs({ fill_missing: true, ...req }, session));
  const warmup = req.warmup == null ? 3 : req.warmup;
  const runs = req.runs || 20;
  return withStage('run', async () => {
    for (let i = 0; i < warmup; i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const mid = times.length >> 1;
    const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
    return {
      ok: true, runs, load_ms: loadMs, median_ms: median, min_ms: times[0],
      max_ms: times[times.length - 1], mean_ms: times.reduce((a, b) => a + b, 0) / times.length,
    };
  });
}

async function handleInfo(req) {
  const { session } = await getSession(req);
  return {
    ok: true,
    inputs: metaList(session.inputNames, session.inputMetadata || []),
    outputs: metaList(session.outputNames, session.outputMetadata || []),
  };
}

async function handle(req) {
  switch (req.op || 'run') {
    case 'run': return handleRun(req);
    case 'bench': return handleBench(req);
    case 'info': return handleInfo(req);
    case 'ping': return { ok: true, version: ort.env.versions.node || ort.env.versions.common };
    case 'drop':
      for (const s of sessions.values()) await s.release().catch(() => {});
      sessions.clear();
      return { ok: true };
    case 'quit': return { ok: true, quit: true };
    default: throw new StageError('request', `unknown op ${req.op}`);
  }
}

function main() {
  ort.env.logLevel = 'error';
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let chain = Promise.resolve();
  rl.on('line', (line) => {
    if (!line.trim()) return;
    chain = chain.then(async () => {
      let req = {}, reply;
      try {
        req = JSON.parse(line);
        reply = await handle(req);
      } catch (e) {
        reply = { ok: false, stage: e.stage || 'request', error: oneLine(e) };
      }
      if (req && req.id !== undefined) reply.id = req.id;
      process.stdout.write(JSON.stringify(reply) + '\n');
      if (reply.quit) process.exit(0);
    });
  });
  rl.on('close', () => { chain.then(() => process.exit(0)); });
}

main();
