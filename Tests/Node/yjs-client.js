#!/usr/bin/env node
// A scripted y-websocket client for the server's tests, on the real Yjs stack: yjs, y-websocket's
// WebsocketProvider and ws (Debian: node-yjs node-y-websocket node-y-protocols node-lib0 node-ws,
// which Scripts/test installs). Tests/Python/yjs_client.py takes the same command line.
//
//   NODE_PATH=/usr/share/nodejs node Tests/Node/yjs-client.js \
//       --url ws://127.0.0.1:PORT/parties/yjs --room NAME [options]
//
// It connects to URL/ROOM, waits until synced (the server's sync step 2 arrived), then in order:
//   --awareness JSON         sets the local awareness state
//   --wait-peers N           waits until at least N remote awareness states are present
//                            ("peers-ready"): a start line for concurrent writers, each with an
//                            --awareness (a client's first state, {}, is ignored by its peers)
//   --send-raw HEX           sends these bytes as one binary frame, then a sync step 1, and waits
//                            for the answer ("still-open") or for the server to close ("closed")
//   --insert STRING ...      inserts each string in its own transaction, at the end of the Y.Text
//                            (--text NAME, default "text"), or with --random-positions at a random
//                            index (--seed N); --delay-ms N between inserts
//   --delete-count N         deletes N characters (UTF-16 units) from the start, in one transaction
//   --map-set KEY=JSON ...   sets KEY in the Y.Map "map", each in its own transaction
//   --expect-length N        waits until the text is N UTF-16 units long ("converged")
//   --expect-text STRING     waits until the text is STRING ("converged")
//   --confirm                opens a second, fresh doc and provider to the room (announcing no
//                            awareness) and waits until its text and map equal this one's
//   --expect-peers N         waits until at least N remote awareness states are (or were, since
//                            connecting: every change is checked) present ("peers")
//   --then-expect-peers M    then waits until exactly M remain ("peers-remaining")
//   --hold                   stays connected until killed, still printing events (the
//                            --timeout deadline no longer applies then)
// --watch-awareness prints every change of the remote awareness states ("awareness").
// --timeout SECONDS (default 20) bounds the whole run.
//
// Prints one JSON object a line: events {"event": ...}, then the result
//   {"result":true,"text":...,"length":N,"map":{...},"clientID":N,"closedCode":N|null}
// and exits 0. Lengths and indexes count UTF-16 code units (Y.Text's own unit).
// If the server closes the connection, the client prints {"event":"closed","code":N} and does not
// reconnect: after --send-raw that ends the run with exit 0 and "closedCode"; otherwise it is a
// failure (exit 3). (WebsocketProvider itself closes a connection on which nothing arrived for
// 30 s: then the event has "silentFor30s":true. y-websocket servers send every client its own
// awareness renewals, every 15 s, which keeps a lone client's connection open.) Failures exit 1 with a message on stderr; the deadline exits 2 and prints the
// text seen so far on stderr.
'use strict'

const Y = require('yjs')
const { WebsocketProvider } = require('y-websocket')
const WebSocket = require('ws')

const usage = 'usage: yjs-client.js --url ws://HOST:PORT/parties/yjs --room NAME [--text NAME] ' +
  '[--insert STRING ...] [--random-positions] [--seed N] [--delay-ms N] [--delete-count N] ' +
  '[--map-set KEY=JSON ...] [--expect-length N] [--expect-text STRING] [--confirm] ' +
  '[--awareness JSON] [--wait-peers N] [--watch-awareness] [--expect-peers N] [--then-expect-peers M] [--hold] ' +
  '[--send-raw HEX] [--timeout SECONDS]'

class Failure extends Error {
  constructor (message, exitCode = 1) {
    super(message)
    this.exitCode = exitCode
  }
}

/** The server closed the connection (an error unless --send-raw was given). */
class ServerClosed extends Error {
  constructor (code) {
    super(`closed with code ${code}`)
    this.code = code
  }
}

function parseArguments (argv) {
  const options = {
    url: null, room: null, text: 'text', inserts: [], randomPositions: false, seed: null,
    delayMs: 0, deleteCount: null, mapSets: [], expectLength: null, expectText: null,
    confirm: false, awareness: null, waitPeers: null, watchAwareness: false, expectPeers: null,
    thenExpectPeers: null, hold: false, sendRaw: null, timeout: 20
  }
  const integer = (name, value) => {
    if (!/^\d+$/.test(value)) throw new Failure(`${name} takes a non-negative integer, not ${JSON.stringify(value)}`)
    return Number(value)
  }
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]
    const flags = { '--random-positions': 'randomPositions', '--confirm': 'confirm', '--watch-awareness': 'watchAwareness', '--hold': 'hold' }
    if (flags[name]) { options[flags[name]] = true; continue }
    if (i + 1 >= argv.length) throw new Failure(`${name}: missing value or unknown option\n${usage}`)
    const value = argv[++i]
    switch (name) {
      case '--url': options.url = value.replace(/\/+$/, ''); break
      case '--room': options.room = value; break
      case '--text': options.text = value; break
      case '--insert': options.inserts.push(value); break
      case '--seed': options.seed = integer(name, value); break
      case '--delay-ms': options.delayMs = integer(name, value); break
      case '--delete-count': options.deleteCount = integer(name, value); break
      case '--map-set': {
        const equals = value.indexOf('=')
        if (equals < 1) throw new Failure(`--map-set takes KEY=JSON, not ${JSON.stringify(value)}`)
        options.mapSets.push([value.slice(0, equals), parseJSON(name, value.slice(equals + 1))])
        break
      }
      case '--expect-length': options.expectLength = integer(name, value); break
      case '--expect-text': options.expectText = value; break
      case '--awareness': {
        const state = parseJSON(name, value)
        if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new Failure('--awareness takes a JSON object')
        options.awareness = state
        break
      }
      case '--wait-peers': options.waitPeers = integer(name, value); break
      case '--expect-peers': options.expectPeers = integer(name, value); break
      case '--then-expect-peers': options.thenExpectPeers = integer(name, value); break
      case '--send-raw':
        if (!/^([0-9a-fA-F]{2})+$/.test(value)) throw new Failure('--send-raw takes an even number of hex digits')
        options.sendRaw = Buffer.from(value, 'hex')
        break
      case '--timeout':
        options.timeout = Number(value)
        if (!(options.timeout > 0)) throw new Failure('--timeout takes a positive number of seconds')
        break
      default: throw new Failure(`unknown option ${name}\n${usage}`)
    }
  }
  if (!options.url || !options.room) throw new Failure(`--url and --room are required\n${usage}`)
  if (options.thenExpectPeers !== null && options.expectPeers === null) throw new Failure('--then-expect-peers needs --expect-peers')
  return options
}

function parseJSON (name, text) {
  try { return JSON.parse(text) } catch (error) { throw new Failure(`${name}: not JSON: ${text}`) }
}

function emit (object) {
  // Writes to a pipe are synchronous on Linux, so a reading parent sees each line at once.
  process.stdout.write(JSON.stringify(object) + '\n')
}

/** A small seeded generator (mulberry32), so --seed makes the insert positions repeatable. */
function seededRandom (seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function varUint (number) {
  const bytes = []
  while (number > 127) { bytes.push(0x80 | (number & 0x7f)); number = Math.floor(number / 128) }
  bytes.push(number)
  return bytes
}

/** A y-websocket sync step 1 (message 0, sub-message 0) carrying the state vector of `doc`. */
function syncStep1 (doc) {
  const stateVector = Y.encodeStateVector(doc)
  return Uint8Array.from([0, 0, ...varUint(stateVector.length), ...stateVector])
}

const delay = (ms) => new Promise(resolve => setTimeout(resolve, ms))

/** One Y.Doc connected to the room through a WebsocketProvider that never reconnects on its own. */
class Session {
  constructor (options, { announce }) {
    this.doc = new Y.Doc()
    this.text = this.doc.getText(options.text)
    this.map = this.doc.getMap('map')
    // No BroadcastChannel: Node 20 has one, and it would let two docs of this process sync
    // without the server.
    this.provider = new WebsocketProvider(options.url, options.room, this.doc, {
      WebSocketPolyfill: WebSocket, connect: false, disableBc: true
    })
    // A provider announces its awareness state ({} by default) on connect; the --confirm doc does not.
    if (!announce) this.provider.awareness.setLocalState(null)
    this.url = this.provider.url
    this.opened = false
    this.connectionError = null
    this.closedCode = null
    this.silentClose = false
    this.step2Count = 0
    this.onClose = () => {}
    this.provider.on('connection-error', (event) => { this.connectionError = event && event.message })
    this.provider.on('connection-close', (event) => {
      if (this.closedCode !== null || !this.provider.shouldConnect) return
      this.closedCode = event && typeof event.code === 'number' ? event.code : 1006
      // The provider closes the socket itself when nothing arrived for 30 s (the server is expected
      // to send each client's own awareness renewals, every 15 s, back to it).
      this.silentClose = Date.now() - this.provider.wsLastMessageReceived >= 30000
      this.provider.disconnect() // the provider would reconnect after 100 ms
      if (this.opened) this.onClose(this.closedCode, this.silentClose)
    })
    this.provider.on('status', ({ status }) => {
      if (status === 'connected') this.opened = true
      if (status !== 'connecting' || !this.provider.ws) return
      this.provider.ws.addEventListener('message', (event) => {
        const bytes = new Uint8Array(event.data)
        if (bytes[0] === 0 && bytes[1] === 1) this.step2Count++
      })
    })
    this.provider.connect()
  }

  get closed () { return this.closedCode !== null }

  snapshot () {
    return { text: this.text.toString(), length: this.text.length, map: this.map.toJSON() }
  }

  remoteStates () {
    const states = {}
    for (const [clientID, state] of this.provider.awareness.getStates()) {
      if (clientID !== this.doc.clientID) states[clientID] = state
    }
    return states
  }

  /** Destroys the provider (which announces a null awareness state), waiting for the socket to close. */
  async destroy () {
    const ws = this.provider.ws
    this.provider.destroy()
    this.provider.awareness.destroy()
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await Promise.race([new Promise(resolve => ws.addEventListener('close', resolve)), delay(2000)])
    }
    this.doc.destroy()
  }
}

/** Checks `condition` every 10 ms until it holds; throws ServerClosed if `session` closes first. */
async function waitUntil (session, condition) {
  while (true) {
    if (session.closed && !session.opened) {
      throw new Failure(`could not connect to ${session.url}: ${session.connectionError || `closed with code ${session.closedCode}`}`)
    }
    if (session.closed) throw new ServerClosed(session.closedCode)
    if (condition()) return
    await delay(10)
  }
}

let mainSession = null
let deadline = null

async function run (options) {
  const session = new Session(options, { announce: true })
  mainSession = session
  session.onClose = (code, silent) => emit({ event: 'closed', code, ...(silent ? { silentFor30s: true } : {}) })
  const awareness = session.provider.awareness
  if (options.watchAwareness) {
    awareness.on('change', ({ added, updated, removed }) => {
      const changed = added.concat(updated, removed)
      if (changed.some(clientID => clientID !== session.doc.clientID)) {
        emit({ event: 'awareness', states: session.remoteStates() })
      }
    })
  }
  // Latched on every awareness change, so a peer that comes and goes between two checks counts.
  const peers = { present: null, remaining: null }
  const checkPeers = () => {
    const states = session.remoteStates()
    const count = Object.keys(states).length
    if (options.expectPeers === null) return
    if (peers.present === null) {
      if (count >= options.expectPeers) peers.present = states
    } else if (options.thenExpectPeers !== null && peers.remaining === null && count === options.thenExpectPeers) {
      peers.remaining = states
    }
  }
  awareness.on('change', checkPeers)

  try {
    await waitUntil(session, () => session.provider.synced)
    emit({ event: 'synced', ...session.snapshot(), clientID: session.doc.clientID })

    if (options.awareness) {
      awareness.setLocalState(options.awareness)
      emit({ event: 'awareness-set', state: options.awareness })
    }

    if (options.waitPeers !== null) {
      await waitUntil(session, () => Object.keys(session.remoteStates()).length >= options.waitPeers)
      emit({ event: 'peers-ready', count: Object.keys(session.remoteStates()).length })
    }

    if (options.sendRaw) {
      session.provider.ws.send(options.sendRaw)
      emit({ event: 'raw-sent', bytes: options.sendRaw.length })
      // The server reads frames in order: an answer to this step 1 means it kept the connection.
      const answered = session.step2Count
      session.provider.ws.send(syncStep1(session.doc))
      await waitUntil(session, () => session.step2Count > answered)
      emit({ event: 'still-open' })
    }

    const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32))
    for (const [number, string] of options.inserts.entries()) {
      if (number > 0 && options.delayMs > 0) await delay(options.delayMs)
      if (session.closed) throw new ServerClosed(session.closedCode)
      let index = session.text.length
      if (options.randomPositions) {
        index = Math.floor(random() * (session.text.length + 1))
        const current = session.text.toString()
        // Never split a surrogate pair.
        if (index > 0 && index < current.length && /[\uD800-\uDBFF]/.test(current[index - 1])) index--
      }
      session.text.insert(index, string)
      emit({ event: 'inserted', index, string })
    }

    if (options.deleteCount !== null) {
      const count = Math.min(options.deleteCount, session.text.length)
      session.text.delete(0, count)
      emit({ event: 'deleted', count })
    }

    for (const [key, value] of options.mapSets) {
      session.map.set(key, value)
      emit({ event: 'map-set', key, value })
    }

    if (options.expectLength !== null || options.expectText !== null) {
      await waitUntil(session, () =>
        (options.expectLength === null || session.text.length === options.expectLength) &&
        (options.expectText === null || session.text.toString() === options.expectText))
      emit({ event: 'converged', ...session.snapshot() })
    }

    if (options.confirm) await confirm(options, session)

    if (options.expectPeers !== null) {
      await waitUntil(session, () => { checkPeers(); return peers.present !== null })
      emit({ event: 'peers', count: Object.keys(peers.present).length, states: peers.present })
      if (options.thenExpectPeers !== null) {
        await waitUntil(session, () => { checkPeers(); return peers.remaining !== null })
        emit({ event: 'peers-remaining', count: options.thenExpectPeers, states: peers.remaining })
      }
    }

    if (options.hold) {
      clearTimeout(deadline) // the parent ends a holding client
      emit({ event: 'holding' })
      await waitUntil(session, () => false)
    }
  } catch (error) {
    if (!(error instanceof ServerClosed)) throw error
    if (!options.sendRaw) {
      const silent = session.silentClose ? '; y-websocket closed it after 30 s without a message' : ''
      throw new Failure(`the connection closed (code ${error.code}${silent})`, 3)
    }
    // After --send-raw the result reports the close.
  }

  emit({ result: true, ...session.snapshot(), clientID: session.doc.clientID, closedCode: session.closedCode })
  await session.destroy()
}

/** Waits until a second, fresh doc connected to the room holds what `session`'s doc holds. */
async function confirm (options, session) {
  const reader = new Session(options, { announce: false })
  reader.onClose = (code) => emit({ event: 'closed', code, connection: 'confirm' })
  const same = () => {
    const mine = session.snapshot()
    const theirs = reader.snapshot()
    return mine.text === theirs.text && JSON.stringify(sorted(mine.map)) === JSON.stringify(sorted(theirs.map))
  }
  try {
    await waitUntil(reader, () => reader.provider.synced)
    await waitUntil(reader, same)
  } catch (error) {
    if (error instanceof ServerClosed) throw new Failure(`the server closed the --confirm connection (code ${error.code})`, 3)
    throw error
  }
  emit({ event: 'confirmed', ...reader.snapshot() })
  await reader.destroy()
}

/** `value` with object keys in order, so two equal maps compare equal as JSON text. */
function sorted (value) {
  if (Array.isArray(value)) return value.map(sorted)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.keys(value).sort().map(key => [key, sorted(value[key])]))
}

async function main () {
  let options
  try {
    options = parseArguments(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`yjs-client: ${error.message}\n`)
    process.exit(1)
  }
  deadline = setTimeout(() => {
    const seen = mainSession
      ? JSON.stringify({ ...mainSession.snapshot(), synced: mainSession.provider.synced, closedCode: mainSession.closedCode })
      : 'nothing (no session)'
    process.stderr.write(`yjs-client: timed out after ${options.timeout} s; seen: ${seen}\n`)
    process.exit(2)
  }, options.timeout * 1000)
  try {
    await run(options)
  } catch (error) {
    process.stderr.write(`yjs-client: ${error instanceof Failure ? error.message : error.stack}\n`)
    process.exit(error instanceof Failure ? error.exitCode : 1)
  }
  clearTimeout(deadline)
  process.exit(0)
}

main()
