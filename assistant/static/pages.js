/* Starts the chat widget on the shop and portal pages. Configuration comes from data-assistant-*
 * attributes on <body> (rendered by assistant/gateway/pages.py), so no inline script is needed. */
(function () {
  'use strict';
  var cfg = document.body.dataset;
  if (!window.AssistantWidget || !cfg.assistantLocale) return;

  var tokenUrl = cfg.assistantTokenUrl;
  var cached = null;

  /** The demo portal's token, fetched from the server and reused until a minute before it expires. */
  function getToken() {
    if (!tokenUrl) return null;
    if (cached && cached.exp - 60 > Date.now() / 1000) return cached.token;
    return fetch(tokenUrl, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : { token: null }; })
      .then(function (d) {
        if (!d || !d.token) { cached = null; return null; }
        var part = d.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
        var exp = 0;
        try { exp = JSON.parse(atob(part)).exp || 0; } catch (e) { exp = 0; }
        cached = { token: d.token, exp: exp };
        return d.token;
      }, function () { return null; });
  }

  var options = { apiBase: cfg.assistantApi || '', locale: cfg.assistantLocale, getToken: getToken };
  if (cfg.assistantSku) options.context = { sku: cfg.assistantSku };
  try { options.starters = JSON.parse(cfg.assistantStarters || '[]'); } catch (e) { options.starters = []; }
  AssistantWidget.init(options);

  var logout = document.getElementById('portal-logout');
  if (logout) logout.addEventListener('submit', function () { AssistantWidget.reset(); });
})();
