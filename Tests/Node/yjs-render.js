'use strict'
// Renders documents built from Yjs updates with the real Yjs, for tests of other Yjs
// implementations.
//
//   NODE_PATH=/usr/share/nodejs node Tests/Node/yjs-render.js INPUT.json [OUTPUT.json]
//
// INPUT.json is one job or {"jobs": [job, …]}. A job is either
//   {"updates": [base64, …], "base": base64 | null}
//       applies `base` (when given) and then every update, in order, to a fresh Y.Doc and
//       answers the document's rendering (yjs-render-lib.js): {"roots": {…}, "pending": bool};
//   {"stateVector": base64}
//       answers {"stateVector": {"<client>": clock, …}} as Y.decodeStateVector reads it.
// A job Yjs cannot process answers {"error": "<message>"} instead; the others still run.
//
// The answer (one result, or {"results": […]} for {"jobs": …}) is written to OUTPUT.json when
// given (answers can be larger than a pipe reader keeps), else to stdout. The last line on stdout
// is always "yjs-render: <n> jobs, <m> errors".

const fs = require('fs')
const { renderUpdates, stateVectorObject, fromBase64 } = require('./yjs-render-lib.js')

const runJob = job => {
  try {
    if (typeof job.stateVector === 'string') return { stateVector: stateVectorObject(fromBase64(job.stateVector)) }
    if (!Array.isArray(job.updates)) throw new Error('a job needs "updates" (an array of base64 strings) or "stateVector"')
    return renderUpdates(job)
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) }
  }
}

const main = () => {
  const [inputPath, outputPath] = process.argv.slice(2)
  if (!inputPath) {
    process.stderr.write('usage: node yjs-render.js INPUT.json [OUTPUT.json]\n')
    process.exit(2)
  }
  const input = JSON.parse(fs.readFileSync(inputPath, 'utf8'))
  const batch = Array.isArray(input.jobs)
  const jobs = batch ? input.jobs : [input]
  const results = jobs.map(runJob)
  const answer = JSON.stringify(batch ? { results } : results[0])
  if (outputPath) {
    fs.writeFileSync(outputPath, answer + '\n')
  } else {
    process.stdout.write(answer + '\n')
  }
  const errors = results.filter(result => result.error !== undefined).length
  process.stdout.write(`yjs-render: ${results.length} jobs, ${errors} errors\n`)
}

main()
