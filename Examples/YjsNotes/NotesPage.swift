/// The notes page: a text area shared through the `notes` room with Yjs and y-websocket, loaded
/// as ES modules from `/modules/` (see `ModuleFiles`). `?room=NAME` picks the document,
/// `&mode=view` opens it read-only.
enum NotesPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>Shared notes</title>
    <script type="importmap">
    {
      "imports": {
        "yjs": "/modules/yjs/dist/yjs.mjs",
        "y-websocket": "/modules/y-websocket/src/y-websocket.js",
        "y-protocols/": "/modules/y-protocols/",
        "lib0/": "/modules/lib0/",
        "isomorphic.js": "/modules/isomorphic.js/browser.mjs"
      }
    }
    </script>
    <style>
      body { font: 16px system-ui, sans-serif; margin: 2rem; }
      textarea { width: 100%; height: 20rem; font: 15px ui-monospace, monospace; }
      #status { color: #666; }
    </style>
    </head>
    <body>
    <h1>Shared notes: <span id="room"></span></h1>
    <p id="status">connecting…</p>
    <textarea id="text" disabled></textarea>
    <p>Also here: <span id="peers">nobody</span></p>
    <script type="module">
    import * as Y from 'yjs'
    import { WebsocketProvider } from 'y-websocket'

    const query = new URLSearchParams(location.search)
    const room = query.get('room') || 'main'
    const readOnly = query.get('mode') === 'view'
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(`${scheme}://${location.host}/parties/notes`, room + (readOnly ? '?mode=view' : ''), doc)
    const text = doc.getText('text')
    const area = document.getElementById('text')
    document.getElementById('room').textContent = room
    const name = 'guest-' + doc.clientID % 1000
    provider.awareness.setLocalState({ user: name })

    // Local typing becomes one replacement of the changed middle of the text.
    area.addEventListener('input', () => {
      const before = text.toString(), after = area.value
      let start = 0
      while (start < before.length && start < after.length && before[start] === after[start]) start++
      let end = 0
      while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++
      doc.transact(() => {
        text.delete(start, before.length - start - end)
        text.insert(start, after.slice(start, after.length - end))
      })
    })
    text.observe(event => { if (!event.transaction.local) area.value = text.toString() })
    provider.on('sync', synced => {
      document.getElementById('status').textContent = synced ? (readOnly ? 'synced (read-only)' : 'synced') : 'syncing…'
      area.value = text.toString()
      area.disabled = readOnly
      window.notes.synced = synced
    })
    provider.awareness.on('change', () => {
      const others = [...provider.awareness.getStates()].filter(([id]) => id !== doc.clientID).map(([, state]) => state.user)
      document.getElementById('peers').textContent = others.length ? others.join(', ') : 'nobody'
    })
    window.notes = { doc, text, provider, synced: false }
    </script>
    </body>
    </html>
    """#
}
