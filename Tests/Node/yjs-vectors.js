'use strict'
// Generates Tests/PartyServerTests/Fixtures/yjs-vectors.json: golden vectors of Yjs' binary
// update format v1, produced by the real Yjs, for YjsUpdateTests.swift.
//
//   NODE_PATH=/usr/share/nodejs node Tests/Node/yjs-vectors.js [OUTPUT.json]
//
// Every run with the same Yjs gives the same file: the edits come from a seeded PRNG and every
// client id and subdocument guid is fixed.
//
// A case is a set of updates captured from a few Y.Docs editing concurrently and exchanging
// updates partially, so the set overlaps, repeats itself and arrives out of order. For each case:
//   updates             base64 updates, in the order a test applies them
//   updateStateVectors  Y.encodeStateVectorFromUpdate of each update (client → clock)
//   merged              Y.mergeUpdates(updates)
//   stateVector         Y.encodeStateVectorFromUpdate(merged), decoded (client → clock)
//   content             render() of a fresh Y.Doc after applying every update
//   diffs               [{name, stateVector (encoded), base (base64 update or null), content}]:
//                       content is render() of a fresh Y.Doc after applying base and then
//                       Y.diffUpdate(merged, stateVector), left out when it equals the case's
//                       content
// plus `malformed` (inputs Y.applyUpdate rejects), `stateVectors` (encoded state vectors and
// their clocks) and `observations` (inputs where Yjs is lenient, for information; not tested).

const fs = require('fs')
const path = require('path')
const assert = require('assert')
const { isDeepStrictEqual } = require('util')
const Y = require('yjs')
const encoding = require('lib0/encoding')
const { render, renderUpdates, stateVectorObject, toBase64, fromBase64 } = require('./yjs-render-lib.js')

const SEED = 0x5eed_2024
const BIG_CLIENT = 2 ** 40 + 7
const MAX_CLIENT = 2 ** 53 - 1

// ---------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32)

const makeRandom = seed => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const random = {
    next,
    int: n => Math.floor(next() * n), // 0 ..< n
    chance: p => next() < p,
    pick: array => array[Math.floor(next() * array.length)],
    shuffle: array => {
      const copy = array.slice()
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1))
        const t = copy[i]; copy[i] = copy[j]; copy[j] = t
      }
      return copy
    }
  }
  return random
}

// ---------------------------------------------------------------------------------------------
// Peers: Y.Docs with fixed client ids whose every `update` event is captured.

class Network {
  constructor (random) {
    this.random = random
    this.peers = []
    /** every update any peer emitted, local or from applying a remote one @type {Uint8Array[]} */
    this.log = []
    /** updates sent between peers that are not `update` events (state diffs) */
    this.messages = []
    /** intermediate states for diff vectors */
    this.checkpoints = []
  }

  peer (clientID, options = {}) {
    const doc = new Y.Doc({ gc: options.gc !== false })
    doc.clientID = clientID
    const peer = { doc, id: clientID, local: [], delivered: new Map() }
    doc.on('update', (update, origin) => {
      this.log.push(update)
      if (origin !== 'remote') peer.local.push(update)
    })
    this.peers.push(peer)
    return peer
  }

  /** Sends `to` some of what `from` has: a few of its own updates (maybe skipping some, so they
   * arrive out of order) or a state diff. */
  deliver (from, to) {
    const random = this.random
    if (random.chance(0.6)) {
      const start = from.delivered.get(to) || 0
      const available = from.local.length - start
      if (available === 0) return
      const count = 1 + random.int(available)
      for (let i = start; i < start + count; i++) {
        // Occasionally hold one back: the next ones then wait in Yjs' pending structs.
        if (i < start + count - 1 && random.chance(0.15)) continue
        Y.applyUpdate(to.doc, from.local[i], 'remote')
      }
      from.delivered.set(to, start + count)
    } else {
      const diff = Y.encodeStateAsUpdate(from.doc, Y.encodeStateVector(to.doc))
      if (random.chance(0.5)) this.messages.push(diff)
      Y.applyUpdate(to.doc, diff, 'remote')
    }
  }

  /** Random partial exchange between two distinct peers. */
  gossip () {
    if (this.peers.length < 2) return
    const from = this.random.pick(this.peers)
    let to = this.random.pick(this.peers)
    while (to === from) to = this.random.pick(this.peers)
    this.deliver(from, to)
  }

  checkpoint (peer, name) {
    this.checkpoints.push({
      name: name || `state of client ${peer.id} after ${this.log.length} updates`,
      stateVector: Y.encodeStateVector(peer.doc),
      base: Y.encodeStateAsUpdate(peer.doc)
    })
  }

  /** Everyone gets everything (twice round, so pending structs resolve). */
  syncAll () {
    for (let round = 0; round < 2; round++) {
      for (const a of this.peers) {
        for (const b of this.peers) {
          if (a !== b) Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)), 'remote')
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Edits

// Multi-byte UTF-8, surrogate pairs, a ZWJ sequence, combining marks.
const textPool = ['a', 'hello ', 'héllo', 'naïve ', '日本語', '😀', '👩‍👩‍👧', '🎉x', 'Ω≈ç', '\n', 'z', 'Straße ', '𝄞', 'e\u0301', '🇫🇷']

const editText = (random, text) => {
  const length = text.length
  if (length > 0 && random.chance(0.35)) {
    // Raw UTF-16 indices: sometimes in the middle of a surrogate pair.
    const index = random.int(length)
    text.delete(index, 1 + random.int(Math.min(6, length - index)))
  } else {
    text.insert(random.int(length + 1), random.pick(textPool))
  }
}

const attributePool = [{ bold: true }, { italic: true }, { bold: null }, { color: '#ff0000' }, { link: { href: 'https://example.com/ü' } }, { size: 12 }, { italic: null }]
const embedPool = [{ image: 'cat.png' }, { formula: 'e^{iπ}+1=0' }, { mention: { id: 7, name: 'Zoë' } }]

const editRichText = (random, text) => {
  const length = text.length
  const roll = random.next()
  if (roll < 0.3) {
    text.insert(random.int(length + 1), random.pick(textPool), random.chance(0.5) ? random.pick(attributePool) : undefined)
  } else if (roll < 0.55 && length > 0) {
    const index = random.int(length)
    text.format(index, 1 + random.int(Math.min(8, length - index)), random.pick(attributePool))
  } else if (roll < 0.7) {
    text.insertEmbed(random.int(length + 1), random.pick(embedPool), random.chance(0.3) ? { width: 100 } : undefined)
  } else if (roll < 0.85 && length > 0) {
    const index = random.int(length)
    text.delete(index, 1 + random.int(Math.min(4, length - index)))
  } else {
    text.insert(random.int(length + 1), random.pick(textPool))
  }
}

let bytesCounter = 0
const anyValue = random => {
  switch (random.int(22)) {
    case 0: return random.int(100)
    case 1: return -random.int(100000)
    case 2: return 2 ** 31 + random.int(1000) // beyond a 31-bit varint: float64
    case 3: return 1.5 // float32
    case 4: return 0.1 // float64
    case 5: return 2 ** 40 // a whole number written as float32
    case 6: return MAX_CLIENT // 2^53 - 1, float64
    case 7: return -0
    case 8: return random.pick(['', 'plain', 'ünïcödé', '😀 emoji', '日本語テキスト'])
    case 9: return random.chance(0.5)
    case 10: return null
    case 11: return { nested: { deeper: [1, 'two', null, true] }, count: random.int(9) }
    case 12: return [random.int(5), 'x', [false], { k: 'v' }]
    case 13: return new Uint8Array([bytesCounter++ & 0xff, 0, 255, 128])
    case 14: return { bytes: new Uint8Array([1, 2, 3]), label: 'bytes inside an object' }
    case 15: return { big: 2n ** 60n + BigInt(random.int(1000)) } // Yjs takes a BigInt only inside a JSON value
    case 16: return undefined
    case 17: return {}
    case 18: return []
    case 19: return 'a longer string value, long enough to be sliced when merged: ' + 'ζ'.repeat(random.int(20))
    case 20: return -1.25e-7
    default: return { emoji: '👩‍👩‍👧', n: -random.int(1000) }
  }
}

const mapKeys = ['title', 'count', 'flag', 'nothing', 'nested', 'list', 'blob', 'big', 'ü-key', '😀', '']

const editMap = (random, map) => {
  if (map.size > 0 && random.chance(0.2)) {
    map.delete(random.pick(Array.from(map.keys())))
  } else {
    map.set(random.pick(mapKeys), anyValue(random))
  }
}

// Y.Array takes no top-level undefined (Y.Map does).
const arrayValue = random => {
  const value = anyValue(random)
  return value === undefined ? [undefined] : value
}

const editArray = (random, array) => {
  const length = array.length
  const roll = random.next()
  if (roll < 0.3) {
    const values = []
    const count = 1 + random.int(12)
    for (let i = 0; i < count; i++) values.push(random.chance(0.8) ? random.int(1000) : arrayValue(random))
    array.push(values)
  } else if (roll < 0.55) {
    const values = []
    const count = 1 + random.int(6)
    for (let i = 0; i < count; i++) values.push(arrayValue(random))
    array.insert(random.int(length + 1), values)
  } else if (roll < 0.6) {
    array.insert(random.int(length + 1), [new Uint8Array([9, 8, 7, random.int(256)])]) // ContentBinary
  } else if (roll < 0.65) {
    array.unshift(['first', random.int(10)])
  } else if (length > 0) {
    const index = random.int(length)
    array.delete(index, 1 + random.int(Math.min(9, length - index)))
  } else {
    array.push([random.int(10)])
  }
}

// ---------------------------------------------------------------------------------------------
// Cases

/** Runs `steps` rounds of: one peer edits in one transaction, then maybe some gossip. */
const simulate = (net, steps, edit, options = {}) => {
  const random = net.random
  for (let step = 0; step < steps; step++) {
    const peer = random.pick(net.peers)
    peer.doc.transact(() => {
      const edits = 1 + random.int(options.editsPerTransaction || 2)
      for (let i = 0; i < edits; i++) edit(peer, random)
    })
    if (random.chance(options.gossip === undefined ? 0.5 : options.gossip)) net.gossip()
    if (random.chance(options.checkpoint || 0.08)) net.checkpoint(random.pick(net.peers))
  }
}

const textCase = random => {
  const net = new Network(random)
  net.peer(1); net.peer(2); net.peer(BIG_CLIENT)
  simulate(net, 45, (peer, random) => editText(random, peer.doc.getText('text')))
  net.syncAll()
  return { name: 'text-concurrent-emoji-and-multibyte', net }
}

const richTextCase = random => {
  const net = new Network(random)
  net.peer(3); net.peer(4, { gc: false })
  simulate(net, 40, (peer, random) => editRichText(random, peer.doc.getText('text-rich')))
  net.syncAll()
  return { name: 'text-formatting-and-embeds', net }
}

const mapCase = random => {
  const net = new Network(random)
  net.peer(10); net.peer(11); net.peer(BIG_CLIENT)
  simulate(net, 45, (peer, random) => editMap(random, peer.doc.getMap('map')))
  net.syncAll()
  return { name: 'map-any-values-binary-and-conflicts', net }
}

const arrayCase = random => {
  const net = new Network(random)
  net.peer(20); net.peer(21); net.peer(22); net.peer(BIG_CLIENT)
  simulate(net, 40, (peer, random) => editArray(random, peer.doc.getArray('array')), { gossip: 0.6 })
  net.syncAll()
  return { name: 'array-many-values-sliced', net }
}

const nestedCase = random => {
  const net = new Network(random)
  const a = net.peer(30)
  net.peer(31, { gc: false })
  net.peer(BIG_CLIENT)
  a.doc.transact(() => {
    const root = a.doc.getMap('map-nested')
    root.set('notes', new Y.Text('start 🎉'))
    root.set('list', new Y.Array())
    root.set('meta', new Y.Map())
  })
  net.syncAll()
  simulate(net, 45, (peer, random) => {
    const root = peer.doc.getMap('map-nested')
    const roll = random.next()
    const notes = root.get('notes')
    const list = root.get('list')
    const meta = root.get('meta')
    if (roll < 0.3 && notes instanceof Y.Text) editText(random, notes)
    else if (roll < 0.55 && list instanceof Y.Array) editArray(random, list)
    else if (roll < 0.75 && meta instanceof Y.Map) editMap(random, meta)
    else if (roll < 0.82) root.set('notes', new Y.Text('replaced ' + random.int(100))) // the old Y.Text is deleted
    else if (roll < 0.88) {
      // Deleting a type with content: on gc docs its items become GC structs.
      root.delete('list')
      root.set('list', new Y.Array())
    } else if (roll < 0.94 && list instanceof Y.Array) {
      const inner = new Y.Map()
      list.push([inner])
      inner.set('inner', 'value ' + random.int(100))
      inner.set('text', new Y.Text('nested text'))
    } else {
      const array = new Y.Array()
      array.push([1, 2, 3])
      root.set('array-' + random.int(3), array)
    }
  })
  net.syncAll()
  return { name: 'nested-types-replaced-and-deleted', net }
}

const xmlCase = random => {
  const net = new Network(random)
  net.peer(40); net.peer(41); net.peer(BIG_CLIENT)
  const tags = ['p', 'h1', 'blockquote', 'Custom-Element']
  simulate(net, 40, (peer, random) => {
    const fragment = peer.doc.getXmlFragment('xml')
    const elements = fragment.toArray().filter(node => node instanceof Y.XmlElement)
    const roll = random.next()
    if (roll < 0.3 || elements.length === 0) {
      const element = new Y.XmlElement(random.pick(tags))
      element.setAttribute('class', random.pick(['intro', 'note', 'ünï']))
      if (random.chance(0.5)) element.setAttribute('data-id', String(random.int(1000)))
      const text = new Y.XmlText()
      element.insert(0, [text])
      text.insert(0, random.pick(textPool), random.chance(0.5) ? { bold: true } : undefined)
      if (random.chance(0.3)) element.insert(1, [new Y.XmlElement('br')])
      fragment.insert(random.int(fragment.length + 1), [element])
    } else if (roll < 0.5) {
      const element = random.pick(elements)
      if (random.chance(0.7)) element.setAttribute(random.pick(['class', 'title', 'data-x']), random.pick(['a', 'b "quoted"', '😀']))
      else element.removeAttribute('class')
    } else if (roll < 0.75) {
      const element = random.pick(elements)
      const text = element.toArray().find(node => node instanceof Y.XmlText)
      if (text) {
        if (random.chance(0.3) && text.length > 0) text.format(0, Math.min(3, text.length), { italic: true })
        else editText(random, text)
      }
    } else if (roll < 0.85) {
      const element = random.pick(elements)
      const child = new Y.XmlElement('span')
      child.insert(0, [new Y.XmlText('inner ' + random.int(10))])
      element.insert(element.length, [child])
    } else if (roll < 0.9) {
      fragment.insert(fragment.length, [new Y.XmlHook('hook-' + random.int(3))])
    } else if (fragment.length > 0) {
      fragment.delete(random.int(fragment.length), 1)
    }
  })
  net.syncAll()
  return { name: 'xml-elements-attributes-and-text', net }
}

const subdocCase = random => {
  const net = new Network(random)
  const a = net.peer(50)
  const b = net.peer(51)
  a.doc.getMap('map-docs').set('first', new Y.Doc({ guid: 'subdoc-first', meta: { title: 'First', tags: ['a'] } }))
  net.deliver(a, b)
  b.doc.getMap('map-docs').set('second', new Y.Doc({ guid: 'subdoc-second', autoLoad: true }))
  b.doc.getArray('array-docs').push([new Y.Doc({ guid: 'subdoc-in-array', gc: false }), 'after the subdoc'])
  net.checkpoint(b)
  a.doc.getMap('map-docs').set('third', new Y.Doc({ guid: 'subdoc-third', meta: 'just a string' }))
  net.syncAll()
  net.checkpoint(a)
  b.doc.getMap('map-docs').delete('first')
  a.doc.getArray('array-docs').insert(0, [new Y.Doc({ guid: 'subdoc-inserted', shouldLoad: false })])
  net.syncAll()
  return { name: 'subdocuments', net }
}

/** Every root kind, four clients, busy gossip. */
const mixedCase = random => {
  const net = new Network(random)
  net.peer(60); net.peer(61, { gc: false }); net.peer(62); net.peer(BIG_CLIENT)
  simulate(net, 60, (peer, random) => {
    const roll = random.next()
    if (roll < 0.3) editText(random, peer.doc.getText('text'))
    else if (roll < 0.45) editRichText(random, peer.doc.getText('text-rich'))
    else if (roll < 0.65) editMap(random, peer.doc.getMap('map'))
    else editArray(random, peer.doc.getArray('array'))
  }, { gossip: 0.7, editsPerTransaction: 3 })
  net.syncAll()
  return { name: 'mixed-four-clients', net }
}

/** Whole-document snapshots (Y.encodeStateAsUpdate) at different times: they overlap heavily,
 * and merging them slices structs in their middle. One gc doc deletes a nested type (GC structs)
 * and deleted text (ContentDeleted). */
const snapshotCase = random => {
  const net = new Network(random)
  net.peer(70); net.peer(71, { gc: false }); net.peer(BIG_CLIENT)
  const snapshots = []
  const edit = (peer, random) => {
    const roll = random.next()
    if (roll < 0.4) editText(random, peer.doc.getText('text'))
    else if (roll < 0.7) editArray(random, peer.doc.getArray('array'))
    else if (roll < 0.85) editMap(random, peer.doc.getMap('map'))
    else {
      const root = peer.doc.getMap('map')
      if (random.chance(0.5) || !(root.get('child') instanceof Y.Map)) {
        const child = new Y.Map()
        root.set('child', child)
        child.set('a', 'content that is garbage collected when the map is deleted')
        child.set('b', new Y.Text('nested text 😀'))
      } else {
        root.delete('child')
      }
    }
  }
  for (let round = 0; round < 8; round++) {
    simulate(net, 6, edit, { gossip: 0.6, checkpoint: 0.05 })
    const peer = random.pick(net.peers)
    snapshots.push(Y.encodeStateAsUpdate(peer.doc))
    if (round > 2 && random.chance(0.5)) {
      // What a peer at an older state lacks: starts in the middle of structs.
      const other = random.pick(net.peers)
      snapshots.push(Y.encodeStateAsUpdate(peer.doc, Y.encodeStateVector(other.doc)))
    }
  }
  net.syncAll()
  for (const peer of net.peers) snapshots.push(Y.encodeStateAsUpdate(peer.doc))
  return { name: 'snapshots-overlapping-with-gc', net, updates: snapshots }
}

/** One client's consecutive transactions with a middle one missing (Yjs' merge writes a Skip),
 * and a second client whose first transaction is missing (nothing of it counts in a state
 * vector). */
const gapCase = random => {
  const net = new Network(random)
  const a = net.peer(80)
  const b = net.peer(81)
  for (let i = 0; i < 8; i++) {
    a.doc.transact(() => {
      a.doc.getText('text').insert(a.doc.getText('text').length, `[${i} 😀]`)
      a.doc.getArray('array').push([i, 'item ' + i])
    })
    if (i === 2) net.checkpoint(a, 'client 80 before the missing transaction')
    if (i === 5) net.checkpoint(a, 'client 80 with the missing transaction')
  }
  for (let i = 0; i < 3; i++) b.doc.getMap('map').set('key' + i, 'value ' + i)
  net.checkpoint(b, 'client 81 with its first transaction')
  const updates = a.local.filter((_, index) => index !== 3).concat(b.local.slice(1))
  // An update of a's last few transactions merged together, overlapping the others.
  updates.push(Y.mergeUpdates(a.local.slice(5)))
  return { name: 'gap-in-one-client-and-missing-start', net, updates: random.shuffle(updates), converged: false }
}

/** Client ids at the edges of varuint ranges. */
const clientIdCase = random => {
  const net = new Network(random)
  net.peer(0); net.peer(2 ** 32 - 1); net.peer(2 ** 32); net.peer(MAX_CLIENT)
  simulate(net, 30, (peer, random) => {
    if (random.chance(0.5)) editText(random, peer.doc.getText('text'))
    else editArray(random, peer.doc.getArray('array'))
  }, { gossip: 0.7 })
  net.syncAll()
  return { name: 'client-ids-0-2^32-and-2^53-1', net }
}

// Hand-written structs (lib0 encoding) for what today's Yjs API does not produce.
const writeString = (encoder, text) => encoding.writeVarString(encoder, text)

const legacyCase = () => {
  // Client 9: a GC struct (clock 0, length 2), then ContentJSON (ref 2) items in a root array,
  // a ContentDeleted (ref 1) item and a ContentJSON item after it.
  const first = encoding.createEncoder()
  encoding.writeVarUint(first, 1) // clients
  encoding.writeVarUint(first, 4) // structs
  encoding.writeVarUint(first, 9) // client
  encoding.writeVarUint(first, 0) // clock
  encoding.writeUint8(first, 0) // GC
  encoding.writeVarUint(first, 2)
  encoding.writeUint8(first, 2) // ContentJSON, no origins: parent info follows
  encoding.writeVarUint(first, 1) // parent is a root type, by name
  writeString(first, 'array-legacy')
  encoding.writeVarUint(first, 3)
  writeString(first, '1')
  writeString(first, '{"legacy":"json","list":[1,2]}')
  writeString(first, 'undefined')
  encoding.writeUint8(first, 0x80 | 1) // ContentDeleted with an origin
  encoding.writeVarUint(first, 9); encoding.writeVarUint(first, 4)
  encoding.writeVarUint(first, 3)
  encoding.writeUint8(first, 0x80 | 2) // ContentJSON with an origin
  encoding.writeVarUint(first, 9); encoding.writeVarUint(first, 7)
  encoding.writeVarUint(first, 1)
  writeString(first, '"after the deleted items"')
  encoding.writeVarUint(first, 0) // delete set: no clients
  // Client 9 again, in one update with a Skip: clocks 9..11 exist, 11..14 are skipped, 14..15
  // follow (Yjs keeps them pending until 11..14 arrive).
  const second = encoding.createEncoder()
  encoding.writeVarUint(second, 1)
  encoding.writeVarUint(second, 3)
  encoding.writeVarUint(second, 9)
  encoding.writeVarUint(second, 9)
  encoding.writeUint8(second, 0x80 | 4) // ContentString with an origin
  encoding.writeVarUint(second, 9); encoding.writeVarUint(second, 8)
  writeString(second, 'ok')
  encoding.writeUint8(second, 10) // Skip
  encoding.writeVarUint(second, 3)
  encoding.writeUint8(second, 0x80 | 8) // ContentAny with an origin
  encoding.writeVarUint(second, 9); encoding.writeVarUint(second, 13)
  encoding.writeVarUint(second, 1)
  encoding.writeAny(second, 'after the skip')
  encoding.writeVarUint(second, 1) // delete set: client 9 deletes clock 2 (length 1)
  encoding.writeVarUint(second, 9)
  encoding.writeVarUint(second, 1)
  encoding.writeVarUint(second, 2)
  encoding.writeVarUint(second, 1)
  const updates = [encoding.toUint8Array(first), encoding.toUint8Array(second), encoding.toUint8Array(first)]
  return { name: 'handwritten-gc-contentjson-contentdeleted-skip', net: null, updates, converged: false }
}

const emptyCase = () => ({
  name: 'empty-updates',
  net: null,
  updates: [new Uint8Array([0, 0]), new Uint8Array([0, 0])],
  converged: false
})

/** A state vector that cuts a string struct in the middle of a surrogate pair. Its base comes
 * from another Y.Doc with the same client id holding the first half, with U+FFFD in place of
 * the broken pair, as Yjs itself writes a split pair. */
const surrogateCase = () => {
  const author = new Y.Doc()
  author.clientID = 90
  const updates = []
  author.on('update', update => updates.push(update))
  author.getText('text').insert(0, 'x🎉y')
  author.getText('text').insert(4, 'z😀')
  const half = new Y.Doc()
  half.clientID = 90
  half.getText('text').insert(0, 'x\ufffd')
  const cut = new Map([[90, 2]])
  return {
    name: 'diff-inside-a-surrogate-pair',
    net: null,
    updates,
    converged: false,
    extraDiffs: [
      { name: 'client 90 at clock 2, inside 🎉', stateVector: Y.encodeStateVector(cut), base: Y.encodeStateAsUpdate(half) },
      { name: 'client 90 at clock 6, inside 😀, no base', stateVector: Y.encodeStateVector(new Map([[90, 6]])), base: null }
    ]
  }
}

// ---------------------------------------------------------------------------------------------
// Recording

const updateB64 = update => toBase64(update)

const recordCase = (built, random) => {
  const { name, net } = built
  let updates = built.updates
  if (!updates) {
    // Every update event (with the echoes of applied remote updates) and some state diffs,
    // shuffled: duplicates, overlaps and out-of-order arrivals.
    updates = random.shuffle(net.log.concat(net.messages))
  }
  const b64 = updates.map(updateB64)
  const merged = Y.mergeUpdates(updates)
  const stateVector = stateVectorObject(Y.encodeStateVectorFromUpdate(merged))
  const content = renderUpdates({ updates: b64 })

  // The same content whichever way Yjs gets the updates.
  assert.deepStrictEqual(renderUpdates({ updates: [toBase64(merged)] }), content, `${name}: merged renders differently`)
  assert.deepStrictEqual(renderUpdates({ updates: b64.slice().reverse() }), content, `${name}: reversed renders differently`)
  const doc = new Y.Doc()
  updates.forEach(update => Y.applyUpdate(doc, update))
  assert.deepStrictEqual(stateVectorObject(Y.encodeStateVector(doc)), stateVector, `${name}: doc state vector differs from encodeStateVectorFromUpdate(merged)`)
  if (net && built.converged !== false) {
    for (const peer of net.peers) {
      assert.deepStrictEqual(render(peer.doc), content, `${name}: peer ${peer.id} did not converge to the content`)
    }
  }

  const diffs = []
  const candidates = []
  if (net) {
    const checkpoints = net.checkpoints.filter(c => c.base.length > 2)
    // The first, the last and one in the middle.
    const chosen = new Set([0, Math.floor(checkpoints.length / 2), checkpoints.length - 1])
    for (const index of chosen) if (checkpoints[index]) candidates.push(checkpoints[index])
  }
  candidates.push({ name: 'empty state vector, no base', stateVector: new Uint8Array([0]), base: null })
  candidates.push({ name: 'the whole state: nothing missing', stateVector: Y.encodeStateVectorFromUpdate(merged), base: merged })
  for (const extra of built.extraDiffs || []) candidates.push(extra)
  for (const candidate of candidates) {
    const diff = Y.diffUpdate(merged, candidate.stateVector)
    const base = candidate.base ? toBase64(candidate.base) : null
    const entry = {
      name: candidate.name,
      stateVector: toBase64(candidate.stateVector),
      clocks: stateVectorObject(candidate.stateVector),
      base
    }
    const diffContent = renderUpdates({ base, updates: [toBase64(diff)] })
    // Left out when it is the case's content (most of the time), to keep the file small.
    if (!isDeepStrictEqual(diffContent, content)) entry.content = diffContent
    diffs.push(entry)
  }

  return {
    name,
    updates: b64,
    updateStateVectors: updates.map(update => stateVectorObject(Y.encodeStateVectorFromUpdate(update))),
    merged: toBase64(merged),
    stateVector,
    content,
    diffs
  }
}

// ---------------------------------------------------------------------------------------------
// Malformed input

/** What each Yjs entry point does with `bytes`: "ok" or "throws: <message>". */
const yjsVerdicts = bytes => {
  const attempt = f => {
    try { f(); return 'ok' } catch (error) { return 'throws: ' + (error && error.message ? error.message : String(error)) }
  }
  const fresh = () => new Uint8Array(bytes) // lib0 must not see a larger buffer behind the view
  return {
    applyUpdate: attempt(() => Y.applyUpdate(new Y.Doc(), fresh())),
    encodeStateVectorFromUpdate: attempt(() => Y.encodeStateVectorFromUpdate(fresh())),
    mergeUpdatesWithEmpty: attempt(() => Y.mergeUpdates([fresh(), new Uint8Array([0, 0])])),
    diffUpdate: attempt(() => Y.diffUpdate(fresh(), new Uint8Array([0])))
  }
}

const bytesOf = (...parts) => {
  const encoder = encoding.createEncoder()
  for (const part of parts) {
    if (typeof part === 'number') encoding.writeUint8(encoder, part)
    else if (typeof part === 'string') writeString(encoder, part)
    else if (part instanceof Uint8Array || Array.isArray(part)) encoding.writeUint8Array(encoder, Uint8Array.from(part))
    else if (part && part.varuint !== undefined) encoding.writeVarUint(encoder, part.varuint)
  }
  return encoding.toUint8Array(encoder)
}
const v = n => ({ varuint: n })

/** One client (5), one struct at clock 0 with no origins in root "text", then `rest`. */
const oneItem = (info, ...rest) => bytesOf(v(1), v(1), v(5), v(0), info, v(1), 'text', ...rest)

const malformedInputs = (sources) => {
  const inputs = []
  const add = (name, bytes) => inputs.push({ name, bytes })
  add('empty input (no struct count)', new Uint8Array([]))
  add('[0]: no clients and no delete set', new Uint8Array([0]))
  add('[1]: one client announced, nothing follows', new Uint8Array([1]))
  add('a varuint that never ends (whole input)', new Uint8Array([0x80, 0x80, 0x80]))
  add('client id varuint that never ends', new Uint8Array([1, 1, 0xff, 0xff, 0xff]))
  add('client count overflows 2^53', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0]))
  add('two clients announced, one present', bytesOf(v(2), v(1), v(5), v(0), 4, v(1), 'text', 'ab', v(0)))
  add('struct count beyond the structs present', bytesOf(v(1), v(3), v(5), v(0), 4, v(1), 'text', 'ab', v(0)))
  for (const ref of [11, 12, 20, 31]) add(`content ref ${ref}`, oneItem(ref, 'ab', v(0)))
  add('content ref 11 with an origin', bytesOf(v(1), v(2), v(5), v(0), 4, v(1), 'text', 'ab', 0x80 | 11, v(5), v(1), 'cd', v(0)))
  add('root name length beyond the end', bytesOf(v(1), v(1), v(5), v(0), 4, v(1), v(200), 'text'))
  add('string content length beyond the end', oneItem(4, v(50), 'abc'))
  add('binary content length beyond the end', oneItem(3, v(40), [1, 2, 3]))
  add('ContentAny count beyond the end', oneItem(8, v(3), [125, 1]))
  add('ContentAny unknown value tag 0x10', oneItem(8, v(1), [0x10], v(0)))
  add('ContentAny float64 cut short', oneItem(8, v(1), [123, 0x40, 0x09], []))
  add('ContentType unknown type ref 9', oneItem(7, v(9), v(0)))
  add('ContentType XmlElement without its name', oneItem(7, v(3)))
  add('ContentFormat without its value', oneItem(6, 'bold'))
  add('ContentDoc cut after the guid', oneItem(9, 'guid-only'))
  // lib0 decodes strings with a fatal TextDecoder: invalid UTF-8 is an error, not U+FFFD.
  add('invalid UTF-8 in string content', oneItem(4, v(2), [0xc3, 0x28], v(0)))
  add('UTF-8 of a lone surrogate in string content', oneItem(4, v(3), [0xed, 0xa0, 0x80], v(0)))
  add('overlong UTF-8 in string content', oneItem(4, v(2), [0xc0, 0x80], v(0)))
  add('invalid UTF-8 in a root name', bytesOf(v(1), v(1), v(5), v(0), 4, v(1), v(2), 0xff, 0xfe, 'ab', v(0)))
  add('invalid UTF-8 in a map key', bytesOf(v(1), v(1), v(5), v(0), 0x20 | 8, v(1), 'map', v(1), 0x80, v(1), 125, 1, v(0)))
  add('invalid UTF-8 in a ContentAny string', oneItem(8, v(1), [119, 1, 0xff], v(0)))
  // Yjs parses the JSON text of formatting values, embeds and ContentJSON while decoding: text
  // that is not JSON makes the whole update undecodable.
  add('ContentFormat value that is not JSON', oneItem(6, 'bold', 'not json', v(0)))
  add('ContentEmbed that is not JSON', oneItem(5, '{broken', v(0)))
  add('ContentJSON item that is not JSON', bytesOf(v(1), v(1), v(5), v(0), 2, v(1), 'array', v(2), '1', '[1,', v(0)))
  add('delete set cut short', bytesOf(v(0), v(1), v(5), v(2), v(0)))
  add('delete set range length missing', bytesOf(v(0), v(1), v(5), v(1), v(0)))
  add('GC length missing', bytesOf(v(1), v(1), v(5), v(0), 0))
  add('Skip length missing', bytesOf(v(1), v(1), v(5), v(0), 10))
  add('origin clock missing', bytesOf(v(1), v(1), v(5), v(0), 0x80 | 4, v(5)))
  for (const source of sources) {
    const cuts = new Set([1, 2, 3, Math.floor(source.bytes.length / 3), Math.floor(source.bytes.length / 2), Math.floor(source.bytes.length * 0.8), source.bytes.length - 2, source.bytes.length - 1])
    for (const cut of Array.from(cuts).sort((a, b) => a - b)) {
      if (cut > 0 && cut < source.bytes.length) add(`${source.name} cut to ${cut} of ${source.bytes.length} bytes`, source.bytes.slice(0, cut))
    }
  }
  const malformed = []
  const accepted = []
  for (const input of inputs) {
    const verdicts = yjsVerdicts(input.bytes)
    const entry = { name: input.name, bytes: toBase64(input.bytes), yjs: verdicts }
    if (verdicts.applyUpdate.startsWith('throws')) malformed.push(entry)
    else accepted.push(entry)
  }
  return { malformed, accepted }
}

/** Inputs where Yjs is lenient; recorded for information, not tested. */
const lenientObservations = () => {
  const trailing = bytesOf(v(0), v(0), 0x99, 0x98)
  const overlong = new Uint8Array([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 5])
  const single = (name, bytes, extra) => ({ name, bytes: toBase64(bytes), yjs: Object.assign(yjsVerdicts(bytes), extra || {}) })
  const decodeSV = bytes => {
    try { return 'ok: ' + JSON.stringify(stateVectorObject(bytes)) } catch (error) { return 'throws: ' + error.message }
  }
  return [
    single('trailing bytes after the delete set', trailing),
    single('state vector with a 71-bit client id (Yjs reads it as a float)', overlong, { decodeStateVector: decodeSV(overlong) }),
    {
      name: 'Y.mergeUpdates of one update returns it unchanged, unchecked',
      bytes: toBase64(new Uint8Array([0x80])),
      yjs: { mergeUpdatesSingle: Array.from(Y.mergeUpdates([new Uint8Array([0x80])])).join(','), mergeUpdatesNone: Array.from(Y.mergeUpdates([])).join(',') }
    },
    single('[0, 0]: the empty update', new Uint8Array([0, 0]), { stateVector: JSON.stringify(stateVectorObject(Y.encodeStateVectorFromUpdate(new Uint8Array([0, 0])))) })
  ]
}

// ---------------------------------------------------------------------------------------------
// State vectors

const stateVectorVectors = () => {
  const maps = [
    [],
    [[0, 1]],
    [[1, 127], [2, 128]],
    [[2 ** 31 - 1, 16384], [2 ** 31, 2 ** 21]],
    [[2 ** 32 - 1, 1], [2 ** 32, 2], [BIG_CLIENT, 300]],
    [[MAX_CLIENT, MAX_CLIENT], [2 ** 53 - 2, 1]],
    [[123456789, 42], [987654321, 7], [5, 2 ** 28 - 1]]
  ]
  return maps.map(entries => {
    const bytes = Y.encodeStateVector(new Map(entries))
    return { bytes: toBase64(bytes), clocks: stateVectorObject(bytes) }
  })
}

// ---------------------------------------------------------------------------------------------

const main = () => {
  const output = process.argv[2] || path.join(__dirname, '..', 'PartyServerTests', 'Fixtures', 'yjs-vectors.json')
  const random = makeRandom(SEED)
  const builders = [emptyCase, textCase, richTextCase, mapCase, arrayCase, nestedCase, xmlCase, subdocCase, mixedCase, snapshotCase, gapCase, clientIdCase, legacyCase, surrogateCase]
  const cases = builders.map(build => recordCase(build(random), random))

  const byName = name => fromBase64(cases.find(c => c.name === name).merged)
  const { malformed, accepted } = malformedInputs([
    { name: 'merged map case', bytes: byName('map-any-values-binary-and-conflicts') },
    { name: 'merged rich text case', bytes: byName('text-formatting-and-embeds') },
    { name: 'merged subdocument case', bytes: byName('subdocuments') }
  ])

  const fixture = {
    generator: 'Tests/Node/yjs-vectors.js',
    yjsVersion: require('yjs/package.json').version,
    lib0Version: require('lib0/package.json').version,
    seed: SEED,
    cases,
    malformed,
    stateVectors: stateVectorVectors(),
    observations: {
      truncationsYjsAccepts: accepted,
      lenient: lenientObservations()
    }
  }
  fs.mkdirSync(path.dirname(output), { recursive: true })
  // One line per case, malformed input and state vector: readable in a diff, and small.
  const lines = Object.entries(fixture).map(([key, value]) => {
    if (Array.isArray(value)) return `  ${JSON.stringify(key)}: [\n${value.map(item => '    ' + JSON.stringify(item)).join(',\n')}\n  ]`
    return `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`
  })
  const text = '{\n' + lines.join(',\n') + '\n}\n'
  assert.deepStrictEqual(JSON.parse(text), JSON.parse(JSON.stringify(fixture)))
  fs.writeFileSync(output, text)

  process.stdout.write(`wrote ${output}: ${text.length} bytes, ${cases.length} cases, ${malformed.length} malformed inputs (${accepted.length} inputs Yjs accepted left out)\n`)
  for (const c of cases) {
    process.stdout.write(`  ${c.name}: ${c.updates.length} updates, merged ${fromBase64(c.merged).length} bytes, ${Object.keys(c.stateVector).length} clients, ${c.diffs.length} diffs, pending ${c.content.pending}\n`)
  }
  for (const a of accepted) process.stdout.write(`  Yjs accepted: ${a.name}\n`)
}

main()
