// Reference for bench/compliance_bench.cc: the same rule pack over the same services file with
// @marcbachmann/cel-js. Run from a directory where `npm install @marcbachmann/cel-js` was done
// (never committed):  node compliance_celjs.mjs PACK.yaml SERVICES.json ITERATIONS
// Prints {"findings": N, "median_ms": M, "min_ms": m}. Timed: for every rule and service, `when`,
// `check` and, for findings, the message templates, collecting finding objects (rule, path,
// message) as our report does. Parsing JSON and compiling the expressions are not timed.
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'

const [packPath, dataPath, iterArg] = process.argv.slice(2)
const require = createRequire(pathToFileURL(process.cwd() + '/').href)
const cel = await import(pathToFileURL(require.resolve('@marcbachmann/cel-js')).href)

// The pack format is YAML; this reader handles the subset baseline-services.yaml uses
// (a list of rules with scalar fields and one-line flow maps), which keeps the reference
// dependency-free apart from cel-js.
function readPack(text) {
  const rules = []
  let rule = null
  for (const raw of text.split('\n')) {
    if (raw.trim().startsWith('#') || raw.trim() === '') continue
    const m = raw.match(/^\s*(-\s+)?([A-Za-z_]+):\s*(.*)$/)
    if (!m) continue
    if (m[1]) { rule = {}; rules.push(rule) }
    if (!rule) continue
    let v = m[3]
    if (v.startsWith('"') && v.endsWith('"')) v = JSON.parse(v)
    else if (v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1).replace(/''/g, "'")
    rule[m[2]] = v
  }
  return rules
}

function template(msg) {
  const parts = []
  let pos = 0
  for (const m of msg.matchAll(/\{\{\s*(.*?)\s*\}\}/g)) {
    parts.push(msg.slice(pos, m.index))
    parts.push(cel.parse(m[1]))
    pos = m.index + m[0].length
  }
  parts.push(msg.slice(pos))
  return parts
}

const rules = readPack(readFileSync(packPath, 'utf8')).map(r => ({
  id: r.id,
  foreach: r.foreach,
  when: r.when ? cel.parse(r.when) : null,
  check: cel.parse(r.check),
  message: template(r.message ?? r.title),
}))
const config = JSON.parse(readFileSync(dataPath, 'utf8'))
const services = config.services

function run() {
  const findings = []
  for (const r of rules) {
    for (let i = 0; i < services.length; i++) {
      const vars = {config, item: services[i]}
      if (r.when && !r.when(vars)) continue
      if (r.check(vars)) continue
      let msg = ''
      for (const p of r.message) msg += typeof p === 'string' ? p : String(p(vars))
      findings.push({rule: r.id, path: `services[${i}]`, message: msg})
    }
  }
  return findings
}

const iterations = Number(iterArg ?? 30)
for (let i = 0; i < 3; i++) run()
const times = []
const cpu = []
let count = 0
for (let i = 0; i < iterations; i++) {
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  count = run().length
  times.push(Number(process.hrtime.bigint() - t0) / 1e6)
  const c = process.cpuUsage(c0)  // user + system of the process (node's GC threads included)
  cpu.push((c.user + c.system) / 1e3)
}
times.sort((a, b) => a - b)
cpu.sort((a, b) => a - b)
console.log(JSON.stringify({findings: count, median_ms: times[times.length >> 1], min_ms: times[0],
                            cpu_median_ms: cpu[cpu.length >> 1], cpu_min_ms: cpu[0]}))
