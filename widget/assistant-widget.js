/*
 * Buying assistant chat widget: one <script> tag, no build step, no dependencies.
 *
 *   <script src="https://assistant.example/widget/assistant-widget.js"></script>
 *   <script src="/your-page.js"></script>   (calls AssistantWidget.init({...}))
 *
 * Everything lives in a shadow DOM so the shop's CSS cannot reach in and ours cannot leak out.
 * Server and user text is only ever inserted with DOM methods (textContent, text nodes, setAttribute):
 * never parsed as markup, so a hostile product name or answer renders as text. See docs/embedding.md.
 */
(function () {
  'use strict';
  if (window.AssistantWidget && window.AssistantWidget.version) return; // script included twice

  var VERSION = '1.0.0';
  var STORE_VERSION = 1;
  var MAX_ITEMS = 80;
  var CES_FLOWS = ['reorder', 'rfq', 'document'];

  var TEXTS = {
    de: {
      title: 'Einkaufsassistent',
      launcher: 'Fragen? Chat',
      open: 'Chat mit dem Einkaufsassistenten öffnen',
      close: 'Chat schließen',
      reset: 'Neues Gespräch beginnen',
      log: 'Gesprächsverlauf',
      greeting: 'Guten Tag! Ich helfe Ihnen bei Produktfragen, Datenblättern und Zeugnissen, Bestellungen, ' +
        'Nachbestellungen und Anfragen. Was kann ich für Sie tun?',
      starters: 'Vorschläge',
      placeholder: 'Ihre Nachricht …',
      input: 'Nachricht an den Assistenten',
      hint: 'Enter sendet, Umschalt+Enter fügt eine neue Zeile ein.',
      send: 'Senden',
      upload: 'Stückliste hochladen (CSV oder XLSX, höchstens 2 MB)',
      uploadType: 'Bitte wählen Sie eine CSV- oder XLSX-Datei.',
      uploadSize: 'Die Datei ist größer als 2 MB. Bitte teilen Sie die Stückliste auf mehrere Dateien auf.',
      uploadEmpty: 'Die Datei ist leer.',
      uploaded: 'Stückliste hochgeladen: {name}',
      typing: 'Der Assistent schreibt …',
      you: 'Sie:',
      bot: 'Assistent:',
      offline: 'Keine Verbindung. Bitte prüfen Sie Ihre Internetverbindung und senden Sie erneut.',
      timeout: 'Die Antwort dauert ungewöhnlich lange. Bitte senden Sie die Nachricht erneut.',
      rate: 'Sie haben viele Nachrichten in kurzer Zeit gesendet. Bitte warten Sie einen Moment ({s} s).',
      down: 'Der Assistent ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.',
      auth: 'Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an und senden Sie dann erneut.',
      forbidden: 'Dieses Gespräch gehörte zu einer anderen Anmeldung. Ein neues Gespräch wurde begonnen.',
      tooLarge: 'Die Nachricht oder Datei ist zu groß.',
      bad: 'Diese Nachricht konnte ich nicht verarbeiten. Bitte formulieren Sie sie anders.',
      generic: 'Etwas ist schiefgegangen. Bitte senden Sie die Nachricht erneut.',
      retry: 'Erneut senden',
      retryIn: 'Erneut senden in {s} s',
      ask: 'War diese Antwort hilfreich?',
      up: 'Hilfreich',
      down_: 'Nicht hilfreich',
      thanks: 'Danke für Ihre Rückmeldung!',
      fbFailed: 'Die Rückmeldung konnte nicht gesendet werden.',
      cesAsk: 'Eine kurze Frage: Wie einfach war es, das zu erledigen?',
      cesScale: ['sehr schwierig', 'schwierig', 'teils, teils', 'einfach', 'sehr einfach'],
      cesSkip: 'Überspringen',
      cesThanks: 'Danke! Das hilft uns, es Ihnen einfacher zu machen.',
      cesSkipped: 'In Ordnung, wir fragen in diesem Gespräch nicht noch einmal.',
      cesFailed: 'Die Antwort konnte nicht gesendet werden. Bitte versuchen Sie es noch einmal.',
      product: 'Zum Artikel',
      sku: 'Art.-Nr.',
      facts: 'Eigenschaften',
      products: '{n} Artikel',
      documents: 'Dokumente',
      sources: 'Quellen',
      page: 'S. {n}',
      newWindow: '(öffnet in neuem Fenster)',
      kinds: {
        datasheet: 'Datenblatt', certificate: 'Zeugnis', invoice: 'Rechnung', delivery_note: 'Lieferschein',
        manual: 'Anleitung', drawing: 'Zeichnung', cad: 'CAD', order_confirmation: 'Auftragsbestätigung',
        quote: 'Angebot', guide: 'Leitfaden', use_case: 'Anwendung', faq: 'FAQ'
      }
    },
    en: {
      title: 'Buying assistant',
      launcher: 'Questions? Chat',
      open: 'Open the chat with the buying assistant',
      close: 'Close the chat',
      reset: 'Start a new conversation',
      log: 'Conversation',
      greeting: 'Hello! I can help with product questions, datasheets and certificates, orders, reorders ' +
        'and requests for quotes. What can I do for you?',
      starters: 'Suggestions',
      placeholder: 'Your message …',
      input: 'Message to the assistant',
      hint: 'Enter sends, Shift+Enter adds a new line.',
      send: 'Send',
      upload: 'Upload a bill of materials (CSV or XLSX, at most 2 MB)',
      uploadType: 'Please choose a CSV or XLSX file.',
      uploadSize: 'The file is larger than 2 MB. Please split the bill of materials into several files.',
      uploadEmpty: 'The file is empty.',
      uploaded: 'Bill of materials uploaded: {name}',
      typing: 'The assistant is typing …',
      you: 'You:',
      bot: 'Assistant:',
      offline: 'No connection. Please check your internet connection and send again.',
      timeout: 'The answer is taking unusually long. Please send the message again.',
      rate: 'You have sent many messages in a short time. Please wait a moment ({s} s).',
      down: 'The assistant is unavailable right now. Please try again in a moment.',
      auth: 'Your sign-in has expired. Please sign in again, then send again.',
      forbidden: 'This conversation belonged to another sign-in. A new conversation has been started.',
      tooLarge: 'The message or file is too large.',
      bad: 'I could not process this message. Please rephrase it.',
      generic: 'Something went wrong. Please send the message again.',
      retry: 'Send again',
      retryIn: 'Send again in {s} s',
      ask: 'Was this answer helpful?',
      up: 'Helpful',
      down_: 'Not helpful',
      thanks: 'Thank you for your feedback!',
      fbFailed: 'The feedback could not be sent.',
      cesAsk: 'One quick question: how easy was it to get this done?',
      cesScale: ['very hard', 'hard', 'neither', 'easy', 'very easy'],
      cesSkip: 'Skip',
      cesThanks: 'Thank you! This helps us make things easier for you.',
      cesSkipped: 'All right, we will not ask again in this conversation.',
      cesFailed: 'The answer could not be sent. Please try again.',
      product: 'View article',
      sku: 'Art. no.',
      facts: 'Properties',
      products: '{n} articles',
      documents: 'Documents',
      sources: 'Sources',
      page: 'p. {n}',
      newWindow: '(opens in a new window)',
      kinds: {
        datasheet: 'Datasheet', certificate: 'Certificate', invoice: 'Invoice', delivery_note: 'Delivery note',
        manual: 'Manual', drawing: 'Drawing', cad: 'CAD', order_confirmation: 'Order confirmation',
        quote: 'Quote', guide: 'Guide', use_case: 'Use case', faq: 'FAQ'
      }
    }
  };

  var CSS = [
    ':host{all:initial}',
    '.aw{--aw-accent:#0b5cad;--aw-on-accent:#fff;--aw-ink:#0b5cad;font:15px/1.45 system-ui,-apple-system,"Segoe UI",',
    'Roboto,Arial,sans-serif;color:#1f2933}',
    '.aw *,.aw *::before,.aw *::after{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    '.aw-sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);',
    'white-space:nowrap;border:0}',
    '.aw-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;',
    'padding:12px 18px;border:0;border-radius:28px;background:var(--aw-accent);color:var(--aw-on-accent);',
    'font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}',
    '.aw-panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:390px;max-width:calc(100vw - 40px);',
    'height:620px;max-height:calc(100vh - 40px);display:flex;flex-direction:column;background:#fff;',
    'border-radius:12px;box-shadow:0 10px 40px rgba(0,0,0,.3);overflow:hidden}',
    '.aw-head{display:flex;align-items:center;gap:4px;padding:8px 8px 8px 16px;background:var(--aw-accent);',
    'color:var(--aw-on-accent)}',
    '.aw-title{flex:1;margin:0;font-size:16px;font-weight:700}',
    '.aw-icon{display:inline-flex;align-items:center;justify-content:center;width:38px;height:38px;padding:0;',
    'border:0;border-radius:8px;background:transparent;color:inherit;cursor:pointer;font:inherit}',
    '.aw svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;',
    'stroke-linejoin:round;flex:none}',
    '.aw-log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:10px;background:#fff}',
    '.aw-msg{max-width:88%;padding:9px 12px;border-radius:12px;overflow-wrap:anywhere}',
    '.aw-bot{align-self:flex-start;background:#eef1f4;border-bottom-left-radius:4px}',
    '.aw-user{align-self:flex-end;background:var(--aw-accent);color:var(--aw-on-accent);white-space:pre-wrap;',
    'border-bottom-right-radius:4px}',
    '.aw-failed{outline:2px dashed #b42318;outline-offset:2px}',
    '.aw-msg p{margin:0 0 6px}.aw-msg p:last-child{margin-bottom:0}',
    '.aw-msg ul,.aw-msg ol{margin:4px 0;padding-left:20px}',
    '.aw a{color:var(--aw-ink);text-decoration:underline}',
    '.aw-reply{display:flex;flex-direction:column;gap:8px;align-items:flex-start}',
    '.aw-btnrow{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}',
    '.aw-chip{padding:6px 12px;border:1px solid var(--aw-ink);border-radius:16px;background:#fff;',
    'color:var(--aw-ink);font:inherit;cursor:pointer}',
    '.aw-chip:disabled{color:#3e4c59;border-color:#9aa5b1;cursor:default}',
    '.aw-chip[aria-pressed=true]{background:var(--aw-ink);color:#fff;border-color:var(--aw-ink)}',
    '.aw-cards{display:flex;flex-direction:column;gap:8px;width:88%}',
    '.aw-card{border:1px solid #9aa5b1;border-radius:10px;padding:10px 12px;background:#fff}',
    '.aw-card h3{margin:0 0 2px;font-size:15px}',
    '.aw-sku{margin:0 0 6px;color:#3e4c59;font-size:13px}',
    '.aw-facts{border-collapse:collapse;width:100%;font-size:13px;margin-bottom:6px}',
    '.aw-facts th,.aw-facts td{text-align:left;padding:3px 6px 3px 0;border-top:1px solid #e4e7eb;',
    'vertical-align:top}',
    '.aw-facts th{font-weight:600;color:#3e4c59;width:45%}',
    '.aw-msg .aw-docs,.aw-msg .aw-srcs{list-style:none;margin:4px 0 0;padding:0}',
    '.aw-docs li,.aw-srcs li{margin:6px 0}',
    '.aw-kind{display:inline-block;margin-right:6px;padding:0 6px;border:1px solid #7b8794;border-radius:4px;',
    'background:#fff;font-size:12px;color:#3e4c59}',
    '.aw-label{margin:0 0 4px;font-weight:700;font-size:13px}',
    '.aw-srcs blockquote{margin:4px 0 0;padding-left:8px;border-left:3px solid #9aa5b1;color:#3e4c59;',
    'font-size:13px}',
    '.aw-page{color:#3e4c59;font-size:12px;margin-left:4px}',
    '.aw-fb{display:flex;align-items:center;gap:2px;color:#3e4c59;font-size:12px}',
    '.aw-fb .aw-icon{width:32px;height:32px}',
    '.aw-fb .aw-icon[aria-pressed=true]{color:var(--aw-ink);background:#eef1f4}',
    '.aw-ces{align-self:stretch;padding:10px 12px;border:1px solid #9aa5b1;border-radius:10px;background:#fff}',
    '.aw-ces p{margin:0 0 6px}.aw-ces-q{font-weight:600}',
    '.aw-ces-scale{display:flex;gap:6px;flex-wrap:wrap}',
    '.aw-ces-scale .aw-chip{min-width:40px;min-height:40px;padding:6px 10px}',
    '.aw-ces-ends{display:flex;justify-content:space-between;gap:8px;max-width:232px;margin:4px 0 6px;',
    'font-size:12px;color:#3e4c59}',
    '.aw-ces-skip{padding:6px 4px;border:0;background:transparent;color:var(--aw-ink);font:inherit;',
    'text-decoration:underline;cursor:pointer}',
    '.aw-typing{align-self:flex-start;display:flex;gap:4px;padding:12px 14px;background:#eef1f4;',
    'border-radius:12px}',
    '.aw-typing i{width:7px;height:7px;border-radius:50%;background:#52606d;animation:aw-b 1s infinite ease-in-out}',
    '.aw-typing i:nth-child(2){animation-delay:.15s}.aw-typing i:nth-child(3){animation-delay:.3s}',
    '@keyframes aw-b{0%,80%,100%{opacity:.3;transform:translateY(0)}40%{opacity:1;transform:translateY(-3px)}}',
    '.aw-error{align-self:stretch;padding:10px 12px;border:1px solid #b42318;border-left-width:4px;',
    'border-radius:8px;background:#fef3f2;color:#7a271a}',
    '.aw-error p{margin:0 0 6px}.aw-error p:last-child{margin:0}',
    '.aw-btn{padding:7px 14px;border:0;border-radius:8px;background:var(--aw-accent);color:var(--aw-on-accent);',
    'font:inherit;font-weight:600;cursor:pointer}',
    '.aw-btn:disabled{background:#e4e7eb;color:#3e4c59;cursor:default}',
    '.aw-form{display:flex;align-items:flex-end;gap:6px;padding:10px 10px 4px;border-top:1px solid #e4e7eb;',
    'background:#fff}',
    '.aw-form .aw-icon{color:#3e4c59}',
    '.aw-input{flex:1;min-height:40px;max-height:120px;resize:none;padding:9px 10px;border:1px solid #7b8794;',
    'border-radius:8px;font:inherit;color:#1f2933;background:#fff}',
    '.aw-input::placeholder{color:#616e7c}',
    '.aw-send{width:40px;height:40px;padding:0;display:inline-flex;align-items:center;justify-content:center}',
    '.aw-hint{margin:0;padding:0 12px 8px;font-size:12px;color:#3e4c59;background:#fff}',
    '.aw :focus{outline:none}',
    '.aw :focus-visible{outline:3px solid var(--aw-ink);outline-offset:2px}',
    '.aw-head :focus-visible{outline-color:var(--aw-on-accent);outline-offset:-3px}',
    '.aw-input:focus-visible{outline-offset:0}',
    '.aw-launcher:focus-visible{outline:3px solid var(--aw-ink);outline-offset:3px;',
    'box-shadow:0 0 0 3px #fff,0 4px 14px rgba(0,0,0,.25)}',
    '@media (max-width:599.98px){.aw-panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;',
    'border-radius:0}.aw-launcher{right:12px;bottom:12px}.aw-msg,.aw-cards{max-width:94%}}',
    '@media (prefers-reduced-motion:reduce){.aw-typing i{animation:none}}'
  ].join('');

  // Feather-style outline icons: static path data written here, never from the server.
  var ICONS = {
    chat: 'M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z',
    close: 'M18 6 6 18M6 6l12 12',
    reset: 'M3 12a9 9 0 1 0 3-6.7L3 8M3 3v5h5',
    clip: 'M21.4 11.1l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5',
    send: 'M22 2 11 13M22 2l-7 20-4-9-9-4z',
    up: 'M7 10v12M15 5.9 14 10h5.8a2 2 0 0 1 2 2.3l-1.4 8A2 2 0 0 1 18.4 22H7V10l4-8a3 3 0 0 1 4 3.9z',
    down: 'M17 14V2M9 18.1 10 14H4.2a2 2 0 0 1-2-2.3l1.4-8A2 2 0 0 1 5.6 2H17v12l-4 8a3 3 0 0 1-4-3.9z'
  };

  // ---------- small pure helpers ----------

  function fmt(text, params) {
    return String(text).replace(/\{(\w+)\}/g, function (m, k) {
      return params && params[k] !== undefined ? String(params[k]) : m;
    });
  }

  /** Builds an element with DOM methods only; children may be nodes or strings (become text nodes). */
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (k === 'hidden') el.hidden = true;
        else el.setAttribute(k, v === true ? '' : String(v));
      });
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    if (children === null || children === undefined) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
  }

  function icon(name) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function str(v) {
    return v === null || v === undefined ? '' : String(v);
  }

  // WCAG relative luminance and contrast, to pick readable text on the host's accent colour.
  function parseHex(c) {
    var m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(str(c).trim());
    if (!m) return null;
    var x = m[1].length === 3 ? m[1].replace(/./g, '$&$&') : m[1];
    return [0, 2, 4].map(function (i) { return parseInt(x.slice(i, i + 2), 16); });
  }

  function luminance(rgb) {
    var v = rgb.map(function (c) {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function toHex(rgb) {
    return '#' + rgb.map(function (c) { return ('0' + Math.round(c).toString(16)).slice(-2); }).join('');
  }

  /** Text colour on the accent (white or near-black, whichever contrasts more) and an accent "ink"
   *  darkened until it reads at AA on the light bubble background, for links, chips and focus rings. */
  function palette(accent) {
    var rgb = parseHex(accent) || parseHex('#0b5cad');
    var white = [255, 255, 255], dark = [17, 24, 39], bubble = [238, 241, 244];
    var onAccent = contrast(rgb, white) >= contrast(rgb, dark) ? white : dark;
    var ink = rgb.slice();
    for (var i = 0; i < 40 && contrast(ink, bubble) < 4.6; i++) {
      ink = ink.map(function (c) { return c * 0.9; });
    }
    return { accent: toHex(rgb), onAccent: toHex(onAccent), ink: toHex(ink) };
  }

  /** A stable, non-reversible fingerprint of who is signed in: sub + customer from the JWT payload.
   *  Not a security check (the server verifies the token); it only tells us when to drop a conversation. */
  function identityOf(token) {
    if (!token) return 'anonymous';
    var claims = null;
    try {
      var part = String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      while (part.length % 4) part += '=';
      var bin = atob(part);
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      claims = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      claims = null;
    }
    if (!claims || typeof claims !== 'object') return 'opaque';
    return 'id:' + hash(str(claims.sub) + '\u0000' + str(claims.customer));
  }

  function hash(s) { // cyrb53
    var h1 = 0xdeadbeef, h2 = 0x41c6ce57;
    for (var i = 0; i < s.length; i++) {
      var ch = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
  }

  function plain(text) {
    return str(text).replace(/\*\*(.+?)\*\*/g, '$1').replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, '$1');
  }

  /** Suggested first steps shown under the greeting: [{title, payload}], at most six; a payload is an intent
   *  ("/reorder") or text to send. Anything else is dropped. */
  function starterList(list) {
    if (!Array.isArray(list)) return [];
    return list.filter(function (b) { return b && str(b.title) && str(b.payload); }).slice(0, 6)
      .map(function (b) { return { title: str(b.title).slice(0, 60), payload: str(b.payload).slice(0, 200) }; });
  }

  // ---------- the widget ----------

  function Widget(options) {
    var o = options || {};
    this.locale = str(o.locale).slice(0, 2).toLowerCase() === 'en' ? 'en' : 'de';
    this.t = TEXTS[this.locale];
    this.apiBase = str(o.apiBase).replace(/\/+$/, '');
    this.getToken = typeof o.getToken === 'function' ? o.getToken : function () { return null; };
    this.title = o.title ? str(o.title) : this.t.title;
    this.colors = palette(o.accentColor);
    this.context = o.context && typeof o.context === 'object' && o.context.sku ? { sku: str(o.context.sku) } : null;
    this.timeoutMs = o.timeoutMs > 0 ? Number(o.timeoutMs) : 15000;
    this.maxUpload = o.maxUploadBytes > 0 ? Number(o.maxUploadBytes) : 2000000;
    this.starters = starterList(o.starters);
    this.storeKey = 'assistant-widget:' + (this.apiBase || location.origin);
    var base = this.apiBase ? this.apiBase + '/' : location.href;
    try { this.linkBase = new URL(base, location.href).href; } catch (e) { this.linkBase = location.href; }
    this.busy = false;
    this.state = this.load();
    this.build();
    // Stored messages are shown only after the identity check: never flash the previous user's thread.
    this.renderAll(true);
    this.ready = this.checkIdentity().then(function () {
      this.renderAll();
      if (this.state.open) this.open({ focus: false });
    }.bind(this));
  }

  Widget.prototype.emptyState = function (ident) {
    return { v: STORE_VERSION, ident: ident, cid: null, items: [], n: 0, open: false, ces: false };
  };

  Widget.prototype.load = function () {
    try {
      var s = JSON.parse(window.sessionStorage.getItem(this.storeKey) || 'null');
      if (s && s.v === STORE_VERSION && Array.isArray(s.items)) return s;
    } catch (e) { /* storage blocked or corrupt: start fresh */ }
    return this.emptyState(undefined);
  };

  Widget.prototype.save = function () {
    var s = this.state;
    if (s.items.length > MAX_ITEMS) s.items = s.items.slice(-MAX_ITEMS);
    try { window.sessionStorage.setItem(this.storeKey, JSON.stringify(s)); } catch (e) { /* quota or blocked */ }
  };

  Widget.prototype.token = function () {
    var self = this;
    return new Promise(function (resolve) { resolve(self.getToken()); })
      .then(function (t) { return t ? String(t) : null; }, function () { return null; });
  };

  /** Drops the stored conversation when the signed-in person differs from the one who started it. */
  Widget.prototype.checkIdentity = function (token) {
    var self = this;
    var p = token === undefined ? this.token() : Promise.resolve(token);
    return p.then(function (tok) {
      var ident = identityOf(tok);
      var known = self.state.ident;
      if (known === ident) return false;
      var open = self.state.open;
      self.state = self.emptyState(ident);
      self.state.open = open;
      self.save();
      return known !== undefined;
    });
  };

  Widget.prototype.build = function () {
    var t = this.t, self = this;
    this.host = h('div', { id: 'assistant-widget', 'data-version': VERSION });
    var root = this.host.attachShadow({ mode: 'open' });
    this.root = root;
    if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
      // Constructed sheets are not inline styles, so a strict host CSP (style-src without 'unsafe-inline') allows them.
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(h('style', { text: CSS }));
    }
    var wrap = h('div', { class: 'aw', lang: this.locale });
    wrap.style.setProperty('--aw-accent', this.colors.accent);
    wrap.style.setProperty('--aw-on-accent', this.colors.onAccent);
    wrap.style.setProperty('--aw-ink', this.colors.ink);

    this.launcher = h('button', {
      type: 'button', class: 'aw-launcher', 'aria-expanded': 'false', title: t.open,
      'aria-controls': 'aw-panel', onclick: function () { self.open(); }
    }, [icon('chat'), h('span', { text: t.launcher }), h('span', { class: 'aw-sr', text: ' – ' + this.title })]);

    this.log = h('div', { class: 'aw-log', tabindex: '0', role: 'region', 'aria-label': t.log });
    this.live = h('div', { class: 'aw-sr', 'aria-live': 'polite', 'aria-atomic': 'false' });
    this.input = h('textarea', {
      class: 'aw-input', rows: '1', maxlength: '2000', placeholder: t.placeholder, 'aria-label': t.input,
      'aria-describedby': 'aw-hint', enterkeyhint: 'send'
    });
    this.input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        self.submitInput();
      }
    });
    this.input.addEventListener('input', function () { self.autosize(); });
    this.file = h('input', {
      type: 'file', class: 'aw-sr', tabindex: '-1', 'aria-hidden': 'true',
      accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      onchange: function () { self.pickFile(); }
    });
    var form = h('form', {
      class: 'aw-form', novalidate: true,
      onsubmit: function (e) { e.preventDefault(); self.submitInput(); }
    }, [
      h('button', {
        type: 'button', class: 'aw-icon aw-upload', 'aria-label': t.upload, title: t.upload,
        onclick: function () { self.file.click(); }
      }, icon('clip')),
      this.file,
      this.input,
      h('button', { type: 'submit', class: 'aw-btn aw-send', 'aria-label': t.send, title: t.send }, icon('send'))
    ]);
    this.panel = h('section', {
      id: 'aw-panel', class: 'aw-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'aw-title',
      hidden: true
    }, [
      h('div', { class: 'aw-head' }, [
        h('h2', { id: 'aw-title', class: 'aw-title', text: this.title }),
        h('button', {
          type: 'button', class: 'aw-icon aw-reset', 'aria-label': t.reset, title: t.reset,
          onclick: function () { self.reset(); self.input.focus(); }
        }, icon('reset')),
        h('button', {
          type: 'button', class: 'aw-icon aw-close', 'aria-label': t.close, title: t.close,
          onclick: function () { self.close(); }
        }, icon('close'))
      ]),
      this.log,
      this.live,
      form,
      h('p', { id: 'aw-hint', class: 'aw-hint', text: t.hint })
    ]);
    this.panel.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') {
        e.stopPropagation();
        self.close();
      }
    });
    append(wrap, [this.launcher, this.panel]);
    root.appendChild(wrap);
    (document.body || document.documentElement).appendChild(this.host);
  };

  Widget.prototype.destroy = function () {
    if (this.host && this.host.parentNode) this.host.parentNode.removeChild(this.host);
  };

  Widget.prototype.autosize = function () {
    var el = this.input;
    el.style.height = 'auto';
    el.style.height = Math.min(el.scrollHeight + 2, 120) + 'px';
  };

  Widget.prototype.open = function (opts) {
    var focus = !opts || opts.focus !== false;
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute('aria-expanded', 'true');
    this.scrollDown();
    if (focus) this.input.focus();
    if (!this.state.open) {
      this.state.open = true;
      this.save();
    }
    if (window.performance && performance.mark) {
      requestAnimationFrame(function () { performance.mark('assistant-widget:open-painted'); });
    }
  };

  Widget.prototype.close = function () {
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute('aria-expanded', 'false');
    this.launcher.focus();
    this.state.open = false;
    this.save();
  };

  Widget.prototype.reset = function () {
    var ident = this.state.ident;
    var open = this.state.open;
    this.state = this.emptyState(ident);
    this.state.open = open;
    this.save();
    this.renderAll();
  };

  Widget.prototype.scrollDown = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  Widget.prototype.announce = function (text) {
    if (!text) return;
    var p = h('p', { text: text.length > 600 ? text.slice(0, 600) + ' …' : text });
    this.live.appendChild(p);
    while (this.live.childNodes.length > 3) this.live.removeChild(this.live.firstChild);
  };

  // ---------- rendering ----------

  Widget.prototype.renderAll = function (greetingOnly) {
    var self = this;
    this.log.textContent = '';
    this.errorEl = null;
    this.typingEl = null;
    var greeting = h('div', { class: 'aw-msg aw-bot aw-greeting' }, [
      h('span', { class: 'aw-sr', text: this.t.bot + ' ' }), this.t.greeting
    ]);
    if (this.starters.length) greeting.appendChild(this.renderStarters());
    this.log.appendChild(greeting);
    if (!greetingOnly) this.state.items.forEach(function (item) { self.log.appendChild(self.renderItem(item)); });
    this.scrollDown();
  };

  Widget.prototype.renderItem = function (item) {
    if (item.r === 'u') {
      return h('div', { class: 'aw-msg aw-user' }, [h('span', { class: 'aw-sr', text: this.t.you + ' ' }), str(item.t)]);
    }
    return this.renderReply(item);
  };

  Widget.prototype.renderReply = function (item) {
    var self = this;
    var box = h('div', { class: 'aw-reply' });
    (item.m || []).forEach(function (msg) {
      var el = self.renderMessage(msg, item);
      if (el) box.appendChild(el);
    });
    box.appendChild(this.renderFeedback(item));
    if (item.ces) box.appendChild(this.renderCes(item));
    return box;
  };

  Widget.prototype.renderMessage = function (msg, item) {
    if (!msg || typeof msg !== 'object') return null;
    switch (msg.type) {
      case 'text': return this.bubble(this.rich(msg.text));
      case 'buttons': return this.renderButtons(msg, item);
      case 'products': return this.renderProducts(msg);
      case 'documents': return this.renderDocuments(msg);
      case 'sources': return this.renderSources(msg);
      default: return msg.text ? this.bubble(this.rich(msg.text)) : null;
    }
  };

  Widget.prototype.bubble = function (content) {
    var el = h('div', { class: 'aw-msg aw-bot' }, h('span', { class: 'aw-sr', text: this.t.bot + ' ' }));
    append(el, content);
    return el;
  };

  /** The only formatting we honour: paragraphs, "- " bullets, **bold**, [label](url) and bare https URLs. */
  Widget.prototype.rich = function (text) {
    var frag = document.createDocumentFragment();
    var lines = str(text).replace(/\r\n?/g, '\n').split('\n');
    var list = null, para = null, self = this;
    lines.forEach(function (line) {
      var m = /^\s*[-•]\s+(.*)$/.exec(line);
      if (m) {
        para = null;
        if (!list) { list = h('ul'); frag.appendChild(list); }
        var li = h('li');
        self.inline(li, m[1]);
        list.appendChild(li);
        return;
      }
      list = null;
      if (!line.trim()) { para = null; return; }
      if (para) para.appendChild(h('br'));
      else { para = h('p'); frag.appendChild(para); }
      self.inline(para, line);
    });
    return frag;
  };

  Widget.prototype.inline = function (parent, s) {
    var re = /\*\*(.+?)\*\*|\[([^\]\n]+)\]\(([^)\s]+)\)|(https:\/\/[^\s<>"'`]+)/g;
    var last = 0, m;
    while ((m = re.exec(s))) {
      if (m.index > last) parent.appendChild(document.createTextNode(s.slice(last, m.index)));
      if (m[1] !== undefined) {
        parent.appendChild(h('strong', { text: m[1] }));
      } else if (m[2] !== undefined) {
        parent.appendChild(this.link(m[3], m[2]) || document.createTextNode(m[2]));
      } else {
        var url = m[4], tail = /[.,;:!?)\]]+$/.exec(url);
        if (tail) url = url.slice(0, -tail[0].length);
        parent.appendChild(this.link(url, url) || document.createTextNode(url));
        if (tail) parent.appendChild(document.createTextNode(tail[0]));
      }
      last = re.lastIndex;
    }
    if (last < s.length) parent.appendChild(document.createTextNode(s.slice(last)));
  };

  /** http(s) only; relative links resolve against the assistant's own origin. Anything else is refused. */
  Widget.prototype.safeUrl = function (raw) {
    var s = str(raw).trim();
    if (!s) return null;
    try {
      var u = new URL(s, this.linkBase);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch (e) {
      return null;
    }
  };

  Widget.prototype.link = function (url, label, cls) {
    var href = this.safeUrl(url);
    if (!href) return null;
    return h('a', { href: href, target: '_blank', rel: 'noopener', class: cls }, [
      str(label), h('span', { class: 'aw-sr', text: ' ' + this.t.newWindow })
    ]);
  };

  Widget.prototype.renderButtons = function (msg, item) {
    var self = this;
    var row = h('div', { class: 'aw-btnrow', role: 'group' });
    var buttons = Array.isArray(msg.buttons) ? msg.buttons : [];
    buttons.forEach(function (b) {
      if (!b || !str(b.title)) return;
      var btn = h('button', {
        type: 'button', class: 'aw-chip', disabled: msg.used ? true : null,
        'aria-pressed': msg.chosen === str(b.title) ? 'true' : null,
        onclick: function () {
          if (msg.used || self.busy) return;
          msg.used = true;
          msg.chosen = str(b.title);
          Array.prototype.forEach.call(row.querySelectorAll('button'), function (x) { x.disabled = true; });
          btn.setAttribute('aria-pressed', 'true');
          self.save();
          self.input.focus();
          var payload = str(b.payload);
          if (payload.charAt(0) === '/') self.send({ payload: payload, display: str(b.title) });
          else self.send({ text: payload || str(b.title), display: str(b.title) });
        }
      }, str(b.title));
      row.appendChild(btn);
    });
    var box = this.bubble(msg.text ? this.rich(msg.text) : null);
    box.appendChild(row);
    return box;
  };

  /** The greeting's buttons: offered again with every greeting, so unlike answer buttons they are never used up. */
  Widget.prototype.renderStarters = function () {
    var self = this;
    var row = h('div', { class: 'aw-btnrow aw-starters', role: 'group', 'aria-label': this.t.starters });
    this.starters.forEach(function (b) {
      row.appendChild(h('button', {
        type: 'button', class: 'aw-chip',
        onclick: function () {
          if (self.busy) return;
          self.input.focus();
          if (b.payload.charAt(0) === '/') self.send({ payload: b.payload, display: b.title });
          else self.send({ text: b.payload, display: b.title });
        }
      }, b.title));
    });
    return row;
  };

  Widget.prototype.renderProducts = function (msg) {
    var self = this;
    var items = Array.isArray(msg.items) ? msg.items : [];
    var box = h('div', { class: 'aw-cards' });
    if (msg.text) box.appendChild(this.bubble(this.rich(msg.text)));
    items.forEach(function (p) {
      if (!p || typeof p !== 'object') return;
      var facts = p.facts && typeof p.facts === 'object' ? Object.keys(p.facts) : [];
      var table = null;
      if (facts.length) {
        table = h('table', { class: 'aw-facts' }, [
          h('caption', { class: 'aw-sr', text: self.t.facts }),
          h('tbody', null, facts.map(function (k) {
            return h('tr', null, [h('th', { scope: 'row', text: k }), h('td', { text: str(p.facts[k]) })]);
          }))
        ]);
      }
      box.appendChild(h('article', { class: 'aw-card' }, [
        h('h3', { text: str(p.name) || str(p.sku) }),
        h('p', { class: 'aw-sku', text: self.t.sku + ' ' + str(p.sku) }),
        table,
        p.url ? self.link(p.url, self.t.product + ' ' + str(p.sku)) : null
      ]));
    });
    return box;
  };

  Widget.prototype.renderDocuments = function (msg) {
    var self = this;
    var items = Array.isArray(msg.items) ? msg.items : [];
    var list = h('ul', { class: 'aw-docs' });
    items.forEach(function (d) {
      if (!d || typeof d !== 'object') return;
      var kind = self.t.kinds[str(d.kind)] || str(d.kind);
      var title = str(d.title) || kind;
      list.appendChild(h('li', null, [
        kind ? h('span', { class: 'aw-kind', text: kind }) : null,
        self.link(d.url, title) || title
      ]));
    });
    var box = this.bubble(msg.text ? this.rich(msg.text) : h('p', { class: 'aw-label', text: this.t.documents }));
    box.appendChild(list);
    return box;
  };

  Widget.prototype.renderSources = function (msg) {
    var self = this;
    var items = Array.isArray(msg.items) ? msg.items : [];
    var list = h('ol', { class: 'aw-srcs' });
    items.forEach(function (s) {
      if (!s || typeof s !== 'object') return;
      var title = str(s.title) || str(s.url);
      var page = s.page !== undefined && s.page !== null && str(s.page) !== '' ? fmt(self.t.page, { n: s.page }) : '';
      list.appendChild(h('li', null, [
        self.link(s.url, title) || title,
        page ? h('span', { class: 'aw-page', text: page }) : null,
        s.excerpt ? h('blockquote', { text: '„' + str(s.excerpt) + '“' }) : null
      ]));
    });
    return this.bubble([h('p', { class: 'aw-label', text: this.t.sources }), list]);
  };

  Widget.prototype.renderFeedback = function (item) {
    var self = this, t = this.t;
    var note = h('span', { class: 'aw-fb-note' });
    var row = h('div', { class: 'aw-fb', role: 'group', 'aria-label': t.ask });
    function button(rating, name, label) {
      return h('button', {
        type: 'button', class: 'aw-icon aw-rate-' + rating, 'aria-label': label, title: label,
        'aria-pressed': item.f === rating ? 'true' : 'false', disabled: item.f ? true : null,
        onclick: function () { self.rate(item, rating, row, note); }
      }, icon(name));
    }
    append(row, [button('up', 'up', t.up), button('down', 'down', t.down_), note]);
    if (item.f) note.textContent = t.thanks;
    return row;
  };

  Widget.prototype.rate = function (item, rating, row, note) {
    var self = this;
    if (item.f || !this.state.cid) return;
    var buttons = row.querySelectorAll('button');
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    this.token().then(function (tok) {
      var headers = { 'Content-Type': 'application/json' };
      if (tok) headers.Authorization = 'Bearer ' + tok;
      return fetch(self.apiBase + '/api/feedback', {
        method: 'POST', headers: headers, credentials: 'omit',
        body: JSON.stringify({ conversation_id: self.state.cid, message_index: item.i, rating: rating })
      });
    }).then(function (res) {
      if (!res.ok) throw new Error('feedback ' + res.status);
      item.f = rating;
      self.save();
      row.querySelector('.aw-rate-' + rating).setAttribute('aria-pressed', 'true');
      note.textContent = self.t.thanks;
      self.announce(self.t.thanks);
    }).catch(function () {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      note.textContent = self.t.fbFailed;
      self.announce(self.t.fbFailed);
    });
  };

  /** The one-question customer-effort score after a completed flow: five buttons and "skip", asked once per
   *  conversation (state.ces), answered or skipped through POST /api/ces. */
  Widget.prototype.renderCes = function (item) {
    var self = this, t = this.t, ces = item.ces;
    var qid = 'aw-ces-q-' + item.i;
    var box = h('div', { class: 'aw-ces', role: 'group', 'aria-labelledby': qid });
    if (ces.done) {
      box.appendChild(h('p', { class: 'aw-ces-done', text: ces.done === 'skip' ? t.cesSkipped : t.cesThanks }));
      return box;
    }
    var note = h('p', { class: 'aw-ces-note', 'aria-live': 'polite' });
    var scale = h('div', { class: 'aw-ces-scale' });
    var skip = h('button', {
      type: 'button', class: 'aw-ces-skip', text: t.cesSkip, onclick: function () { send(null); }
    });
    function send(score) {
      var buttons = box.querySelectorAll('button');
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      self.postCes(ces.flow, score).then(function () {
        ces.done = score === null ? 'skip' : score;
        self.save();
        var text = score === null ? t.cesSkipped : t.cesThanks;
        box.textContent = '';
        box.appendChild(h('p', { class: 'aw-ces-done', text: text }));
        self.announce(text);
      }, function () {
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
        note.textContent = t.cesFailed;
      });
    }
    t.cesScale.forEach(function (label, i) {
      scale.appendChild(h('button', {
        type: 'button', class: 'aw-chip aw-ces-score', 'aria-label': (i + 1) + ' – ' + label, title: label,
        onclick: function () { send(i + 1); }
      }, String(i + 1)));
    });
    append(box, [
      h('p', { class: 'aw-ces-q', id: qid, text: t.cesAsk }),
      scale,
      h('p', { class: 'aw-ces-ends', 'aria-hidden': 'true' }, [h('span', { text: '1 = ' + t.cesScale[0] }),
        h('span', { text: '5 = ' + t.cesScale[4] })]),
      skip,
      note
    ]);
    return box;
  };

  Widget.prototype.postCes = function (flow, score) {
    var self = this;
    return this.token().then(function (tok) {
      var headers = { 'Content-Type': 'application/json' };
      if (tok) headers.Authorization = 'Bearer ' + tok;
      return fetch(self.apiBase + '/api/ces', {
        method: 'POST', headers: headers, credentials: 'omit',
        body: JSON.stringify({ conversation_id: self.state.cid, flow: flow, score: score, locale: self.locale })
      });
    }).then(function (res) {
      if (!res.ok) throw new Error('ces ' + res.status);
    });
  };

  Widget.prototype.showTyping = function () {
    this.hideTyping();
    this.typingEl = h('div', { class: 'aw-typing' }, [
      h('i'), h('i'), h('i'), h('span', { class: 'aw-sr', text: this.t.typing })
    ]);
    this.log.appendChild(this.typingEl);
    this.log.setAttribute('aria-busy', 'true');
    this.scrollDown();
  };

  Widget.prototype.hideTyping = function () {
    if (this.typingEl && this.typingEl.parentNode) this.typingEl.parentNode.removeChild(this.typingEl);
    this.typingEl = null;
    this.log.removeAttribute('aria-busy');
  };

  // ---------- sending ----------

  Widget.prototype.submitInput = function () {
    if (this.busy) return;
    var text = this.input.value.trim();
    if (!text) return;
    this.input.value = '';
    this.autosize();
    this.send({ text: text.slice(0, 2000), display: text.slice(0, 2000) });
  };

  Widget.prototype.pickFile = function () {
    var f = this.file.files && this.file.files[0];
    this.file.value = '';
    if (!f) return;
    var name = str(f.name);
    var problem = null;
    if (!/\.(csv|xlsx)$/i.test(name)) problem = this.t.uploadType;
    else if (f.size > this.maxUpload) problem = this.t.uploadSize;
    else if (f.size === 0) problem = this.t.uploadEmpty;
    if (problem) {
      this.showError({ message: problem, retry: false });
      this.input.focus();
      return;
    }
    this.send({ file: f, display: fmt(this.t.uploaded, { name: name }) });
  };

  /** One turn. The user's words are shown at once and kept: on failure the retry button resends them. */
  Widget.prototype.send = function (turn) {
    var self = this;
    if (this.busy) return Promise.resolve();
    this.busy = true;
    this.clearError();
    return this.token().then(function (tok) {
      return self.checkIdentity(tok).then(function (changed) {
        if (changed) {
          self.renderAll();
          turn.shown = false;
        }
        if (!turn.shown) {
          turn.shown = true;
          var item = { r: 'u', t: turn.display };
          self.state.items.push(item);
          self.save();
          turn.el = self.renderItem(item);
          self.log.appendChild(turn.el);
        }
        if (turn.el) turn.el.classList.remove('aw-failed');
        self.showTyping();
        return self.request(turn, tok);
      });
    }).then(function (reply) {
      self.hideTyping();
      if (reply.conversation_id) self.state.cid = String(reply.conversation_id);
      var messages = Array.isArray(reply.messages) ? reply.messages : [];
      var item = { r: 'b', m: messages, i: self.state.n, f: null };
      var survey = reply.survey;
      if (survey && survey.kind === 'ces' && CES_FLOWS.indexOf(survey.flow) >= 0 && !self.state.ces) {
        item.ces = { flow: survey.flow, done: null };
        self.state.ces = true; // at most once per conversation, answered or not
      }
      self.state.n += messages.length;
      self.state.items.push(item);
      self.save();
      var el = self.renderItem(item);
      self.log.appendChild(el);
      // Show the start of a long answer rather than its end.
      self.log.scrollTop = Math.max(0, el.offsetTop - self.log.offsetTop - 60);
      self.announce(self.summary(messages) + (item.ces ? ' ' + self.t.cesAsk : ''));
    }).catch(function (err) {
      self.hideTyping();
      if (turn.el) turn.el.classList.add('aw-failed');
      self.failed(err, turn);
    }).then(function () {
      self.busy = false;
    }, function () {
      self.busy = false;
    });
  };

  Widget.prototype.summary = function (messages) {
    var t = this.t;
    return messages.map(function (m) {
      if (!m) return '';
      if (m.type === 'products') {
        return fmt(t.products, { n: (m.items || []).length }) + ': ' +
          (m.items || []).map(function (p) { return str(p && (p.name || p.sku)); }).join(', ');
      }
      if (m.type === 'documents') {
        return t.documents + ': ' + (m.items || []).map(function (d) { return str(d && d.title); }).join(', ');
      }
      if (m.type === 'sources') return '';
      if (m.type === 'buttons') {
        return plain(m.text) + ' ' + (m.buttons || []).map(function (b) { return str(b && b.title); }).join(', ');
      }
      return plain(m.text);
    }).filter(Boolean).join(' ');
  };

  Widget.prototype.request = function (turn, tok) {
    var self = this;
    var ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) ctrl.abort(); }, this.timeoutMs);
    var headers = { Accept: 'application/json' };
    if (tok) headers.Authorization = 'Bearer ' + tok;
    var url, body;
    if (turn.file) {
      url = this.apiBase + '/api/upload';
      body = new FormData();
      body.append('file', turn.file, turn.file.name);
      if (this.state.cid) body.append('conversation_id', this.state.cid);
      body.append('locale', this.locale);
    } else {
      url = this.apiBase + '/api/chat';
      headers['Content-Type'] = 'application/json';
      var payload = {
        message: turn.payload ? null : turn.text,
        conversation_id: this.state.cid,
        locale: this.locale,
        payload: turn.payload || null
      };
      if (this.context) payload.context = this.context;
      body = JSON.stringify(payload);
    }
    return fetch(url, {
      method: 'POST', headers: headers, body: body, credentials: 'omit', signal: ctrl ? ctrl.signal : undefined
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (res.ok && data && Array.isArray(data.messages)) return data;
        var err = new Error('http ' + res.status);
        err.status = res.ok ? 0 : res.status;
        err.retryAfter = parseInt(res.headers.get('Retry-After') || '', 10);
        err.serverMessage = data && data.error && typeof data.error.message === 'string' ? data.error.message : '';
        throw err;
      });
    }, function (e) {
      var err = new Error('network');
      err.kind = ctrl && ctrl.signal.aborted ? 'timeout' : 'offline';
      throw err;
    }).then(function (data) {
      clearTimeout(timer);
      return data;
    }, function (e) {
      clearTimeout(timer);
      if (!e.kind && !e.status && ctrl && ctrl.signal.aborted) e.kind = 'timeout';
      throw e;
    });
  };

  Widget.prototype.failed = function (err, turn) {
    var t = this.t;
    var kind = err.kind, status = err.status;
    var info = { retry: true, wait: 0, message: t.generic };
    if (kind === 'timeout') info.message = t.timeout;
    else if (kind === 'offline') info.message = t.offline;
    else if (status === 429) {
      info.wait = err.retryAfter > 0 ? Math.min(err.retryAfter, 600) : 10;
      info.message = fmt(t.rate, { s: info.wait });
    } else if (status === 503 || status === 502 || status === 504) info.message = t.down;
    else if (status === 401) info.message = t.auth;
    else if (status === 403) {
      // The conversation id belongs to someone else (e.g. a new login in another tab): start over.
      this.state.cid = null;
      this.state.n = 0;
      this.state.ces = false;
      info.message = t.forbidden;
    } else if (status === 400 || status === 413 || status === 422) {
      info.message = status === 413 ? t.tooLarge : t.bad;
      info.retry = false;
      if (turn.text && !turn.payload && !this.input.value) {
        this.input.value = turn.text; // give the words back so they can be edited
        this.autosize();
      }
    }
    info.turn = turn;
    this.showError(info);
  };

  Widget.prototype.clearError = function () {
    if (this.errorEl) {
      if (this.errorEl.timer) clearInterval(this.errorEl.timer);
      if (this.errorEl.parentNode) this.errorEl.parentNode.removeChild(this.errorEl);
    }
    this.errorEl = null;
  };

  Widget.prototype.showError = function (info) {
    var self = this, t = this.t;
    this.clearError();
    var box = h('div', { class: 'aw-error' }, h('p', { class: 'aw-error-text', text: info.message }));
    if (info.retry && info.turn) {
      var btn = h('button', {
        type: 'button', class: 'aw-btn aw-retry', text: t.retry,
        onclick: function () {
          var turn = info.turn;
          self.clearError();
          self.send(turn);
          self.input.focus();
        }
      });
      box.appendChild(h('p', null, btn));
      box.retryBtn = btn;
      if (info.wait > 0) {
        var left = info.wait;
        btn.disabled = true;
        btn.textContent = fmt(t.retryIn, { s: left });
        box.timer = setInterval(function () {
          left -= 1;
          if (left > 0) {
            btn.textContent = fmt(t.retryIn, { s: left });
            return;
          }
          clearInterval(box.timer);
          btn.disabled = false;
          btn.textContent = t.retry;
        }, 1000);
      }
    }
    this.errorEl = box;
    this.log.appendChild(box);
    this.scrollDown();
    this.announce(info.message);
  };

  // ---------- public API ----------

  var current = null;

  function whenBody(fn) {
    if (document.body) fn();
    else document.addEventListener('DOMContentLoaded', fn, { once: true });
  }

  window.AssistantWidget = {
    version: VERSION,
    /** Mounts the widget once per page; calling it again replaces the previous instance. */
    init: function (options) {
      var ready = new Promise(function (resolve) {
        whenBody(function () {
          if (current) current.destroy();
          current = new Widget(options);
          current.ready.then(resolve);
        });
      });
      return ready;
    },
    open: function () { if (current) current.open(); },
    close: function () { if (current) current.close(); },
    reset: function () { if (current) current.reset(); }
  };
})();
