// Reference measurement with @marcbachmann/cel-js, the same workload as bench/cel_bench.cc:
// the when/check expressions of baseline-services.yaml over services-1000.json, each rule
// evaluated once per service (service-major order, as in cel_bench) with the service bound to
// `item`; expressions are parsed (compiled) once. Prints median and best ms per set.
//
// Run from a folder where `npm install @marcbachmann/cel-js` was done (kept out of the repo):
//   node cel_js_bench.mjs <bench/workloads dir> [passes]
import {parse} from '@marcbachmann/cel-js'
import {readFileSync} from 'node:fs'

const workloads = process.argv[2] ?? 'bench/workloads'
const passes = Number(process.argv[3] ?? 300)
const services = JSON.parse(readFileSync(`${workloads}/services-1000.json`, 'utf8')).services

// The rule file is a simple YAML document; its `when:`/`check:` lines are read directly (no YAML
// package, so the reference needs nothing but cel-js).
const rules = []
for (const line of readFileSync(`${workloads}/baseline-services.yaml`, 'utf8').split('\n')) {
  const m = line.match(/^\s*(- id|when|check):\s*(.*)$/)
  if (!m) continue
  let v = m[2].trim()
  if (v.startsWith('"') && v.endsWith('"')) v = JSON.parse(v)
  if (m[1] === '- id') rules.push({id: v, when: null, check: null})
  else rules[rules.length - 1][m[1]] = parse(v)
}

function runOnce () {
  let findings = 0
  for (const item of services) {
    const ctx = {item}
    for (const rule of rules) {
      if (rule.when && rule.when(ctx) !== true) continue
      if (rule.check(ctx) === false) findings++
    }
  }
  return findings
}

const first = runOnce()
if (first !== 455) {
  console.error(`expected 455 findings, got ${first}`)
  process.exit(1)
}
for (let i = 0; i < 50; i++) runOnce() // warm up the JIT
const times = []
for (let i = 0; i < passes; i++) {
  const t0 = process.hrtime.bigint()
  runOnce()
  times.push(Number(process.hrtime.bigint() - t0) / 1e6)
}
times.sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)]
const best = times[0]
const evals = rules.length * services.length
console.log(`cel-js: median ${median.toFixed(4)} ms per set (${(median * 1e6 / evals).toFixed(1)} ns/eval), best ${best.toFixed(4)} ms, ${passes} passes, ${first} findings`)
console.log(`CELJS_MEDIAN_MS=${median.toFixed(4)}`)
console.log(`CELJS_BEST_MS=${best.toFixed(4)}`)
