#!/usr/bin/env node
// ort_node_profile.js - ONNX Runtime's per-node times for one model, to set beside
// `sp-run MODEL --profile=nodes`: node ort_node_profile.js MODEL [threads] [runs].
// Prints one line per node: mean and min ms per run (min is robust when other processes
// share the cores), op type, node name (ORT's fused names), then the totals. Inputs are filled with uniform [0,1) floats (latency only).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require(path.join(__dirname, '../test/ort/node_modules/onnxruntime-node'));

async function main() {
  const [model, threadsArg, runsArg] = process.argv.slice(2);
  const threads = +(threadsArg || 1), runs = +(runsArg || 20);
  const prefix = path.join(os.tmpdir(), `ort_prof_${process.pid}`);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    enableProfiling: true, profileFilePrefix: prefix,
  });
  const feeds = {};
  for (const name of session.inputNames) {
    const meta = session.inputMetadata ? session.inputMetadata.find((m) => m.name === name) : null;
    const dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : [1, 3, 224, 224];
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; ++i) data[i] = ((i * 2654435761) >>> 0) / 4294967296;
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; ++i) await session.run(feeds);
  const wall = Number(process.hrtime.bigint() - t0) / 1e6 / runs;
  session.endProfiling();
  const dir = path.dirname(prefix), base = path.basename(prefix);
  const found = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'));
  if (found.length !== 1) throw new Error(`no profile file ${prefix}*.json`);
  const file = path.join(dir, found[0]);
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  const per = new Map();
  let order = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!per.has(name)) per.set(name, { us: 0, n: 0, min: Infinity, op: e.args.op_name, order: order++ });
    const p = per.get(name);
    p.us += e.dur; p.n += 1; p.min = Math.min(p.min, e.dur);
  }
  let total = 0, totalMin = 0;
  for (const [name, p] of per) {
    const ms = p.us / 1000 / p.n;
    total += ms; totalMin += p.min / 1000;
    console.log(`${ms.toFixed(4)}\t${(p.min / 1000).toFixed(4)}\t${p.op}\t${name}`);
  }
  console.log(`total_nodes_ms mean ${total.toFixed(3)} min ${totalMin.toFixed(3)} wall_ms ${wall.toFixed(3)}`);
}
main().catch((e) => { console.error(e.message); process.exit(1); });
