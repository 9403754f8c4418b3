'use strict'
// Renders a Y.Doc as plain JSON so two documents can be compared: the content a user sees, not
// how it is encoded. Shared by yjs-vectors.js (which records the expected renderings) and
// yjs-render.js (which renders the bytes the Swift implementation produced).
//
// Root types are found by name: a root whose name starts with "text" is a Y.Text, "map" a Y.Map,
// "array" a Y.Array and "xml" a Y.XmlFragment. Roots that render empty are left out, so a root
// that only ever held deleted content does not make two equal documents differ.
//
// Run with NODE_PATH=/usr/share/nodejs (Debian's node-yjs).

const Y = require('yjs')

const rootKinds = ['text', 'map', 'array', 'xml']

/** @param {Uint8Array} bytes */
const toBase64 = bytes => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')

/**
 * A fresh Uint8Array with its own ArrayBuffer: lib0 reads past the end of a view silently when
 * the underlying buffer is larger (Node's Buffer pool), which would hide truncated input.
 * @param {string} text
 */
const fromBase64 = text => new Uint8Array(Buffer.from(text, 'base64'))

/** @param {object} object */
const sortedObject = (object, renderMember) => {
  const result = {}
  for (const key of Object.keys(object).sort()) result[key] = renderMember(object[key])
  return result
}

/** A value held by a type or inside ContentAny / ContentJSON / an embed, as JSON. */
const renderValue = value => {
  if (value === undefined) return { undefined: true }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { number: 'NaN' }
    if (!Number.isFinite(value)) return { number: value > 0 ? 'Infinity' : '-Infinity' }
    if (Object.is(value, -0)) return { number: '-0' }
    return value
  }
  if (typeof value === 'bigint') return { bigint: value.toString() }
  if (value instanceof Uint8Array) return { bytes: toBase64(value) }
  if (value instanceof Y.Doc) {
    // Not shouldLoad: it is local (the creating peer's own subdocument is loaded), not encoded.
    return { subdoc: value.guid, meta: renderValue(value.meta), autoLoad: value.autoLoad }
  }
  // Xml types before Text / the generic check: Y.XmlText extends Y.Text.
  if (value instanceof Y.XmlText) return { xmlText: renderDelta(value.toDelta()) }
  if (value instanceof Y.XmlElement) {
    return {
      element: value.nodeName,
      attributes: sortedObject(value.getAttributes(), renderValue),
      children: value.toArray().map(renderValue)
    }
  }
  if (value instanceof Y.XmlHook) return { xmlHook: value.hookName, map: renderMap(value) }
  if (value instanceof Y.XmlFragment) return { fragment: value.toArray().map(renderValue) }
  if (value instanceof Y.Text) return { text: renderDelta(value.toDelta()) }
  if (value instanceof Y.Map) return { map: renderMap(value) }
  if (value instanceof Y.Array) return { array: value.toArray().map(renderValue) }
  if (value instanceof Y.AbstractType) return { unknownType: value.constructor.name }
  if (Array.isArray(value)) return value.map(renderValue)
  if (typeof value === 'object') return { object: sortedObject(value, renderValue) }
  return { unrenderable: String(value) }
}

/** @param {Y.Map<any>} map */
const renderMap = map => {
  const result = {}
  for (const key of Array.from(map.keys()).sort()) result[key] = renderValue(map.get(key))
  return result
}

/** A Y.Text delta with formatting attributes in key order. */
const renderDelta = delta => delta.map(op => {
  const rendered = { insert: typeof op.insert === 'string' ? op.insert : renderValue(op.insert) }
  if (op.attributes !== undefined && Object.keys(op.attributes).length > 0) {
    rendered.attributes = sortedObject(op.attributes, renderValue)
  }
  return rendered
})

/** The kind of a root type, from its name; null for a name outside the convention. */
const rootKind = name => rootKinds.find(kind => name.startsWith(kind)) || null

/** @param {Y.Doc} doc @param {string} name */
const renderRoot = (doc, name) => {
  switch (rootKind(name)) {
    case 'text': {
      const delta = renderDelta(doc.getText(name).toDelta())
      return delta.length === 0 ? undefined : delta
    }
    case 'map': {
      const map = renderMap(doc.getMap(name))
      return Object.keys(map).length === 0 ? undefined : map
    }
    case 'array': {
      const array = doc.getArray(name).toArray().map(renderValue)
      return array.length === 0 ? undefined : array
    }
    case 'xml': {
      const children = doc.getXmlFragment(name).toArray().map(renderValue)
      return children.length === 0 ? undefined : children
    }
    default:
      throw new Error(`root type "${name}" does not follow the naming convention (text…, map…, array…, xml…)`)
  }
}

/**
 * The document's content: every non-empty root, by name, plus whether Yjs holds structs or
 * deletions it could not integrate yet (a gap in some client's clocks).
 * @param {Y.Doc} doc
 */
const render = doc => {
  const roots = {}
  for (const name of Array.from(doc.share.keys()).sort()) {
    const rendered = renderRoot(doc, name)
    if (rendered !== undefined) roots[name] = rendered
  }
  return { roots, pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null }
}

/**
 * Applies `base` (if any) and then `updates` to a fresh Y.Doc and renders it.
 * @param {{updates: string[], base?: string|null}} job base64 updates
 */
const renderUpdates = job => {
  const doc = new Y.Doc()
  if (job.base) Y.applyUpdate(doc, fromBase64(job.base))
  for (const update of job.updates) Y.applyUpdate(doc, fromBase64(update))
  const result = render(doc)
  doc.destroy()
  return result
}

/** An encoded state vector as an object from client id (decimal string) to clock. */
const stateVectorObject = bytes => {
  const result = {}
  const entries = Array.from(Y.decodeStateVector(bytes).entries()).sort((a, b) => a[0] - b[0])
  for (const [client, clock] of entries) result[String(client)] = clock
  return result
}

module.exports = { render, renderUpdates, renderValue, stateVectorObject, toBase64, fromBase64, rootKind }
