// aiusage quota widget: the element aiusage-quota shows one line per provider with the
// quota that is closest to running out, read from the collector's quota report. An app
// loads this script from the collector (/console/widget.js on its report endpoint) and
// puts the element in its header; the README has the snippet.
//
// Attributes: endpoint (the report endpoint's base URL; default: where this script came
// from), token (its bearer token; or set the token property), refresh (seconds between
// reads, default 30), providers (comma-separated provider names to show; default all).
// A page of another origin reads the collector only when the collector lists that origin
// in reports.cors_allowed_origins. The console and the static report use the same
// element and the functions on window.AIUsageQuota.
(function () {
  'use strict';

  var PROVIDER_NAMES = { groq: 'Groq', 'gcp.gemini': 'Gemini', 'gcp.vertex_ai': 'Vertex AI' };
  var WINDOW_WORDS = { '1d': 'today', '1m': 'this minute' };
  var SHORT = { 'requests 1m': 'RPM', 'requests 1d': 'RPD', 'tokens 1m': 'TPM', 'tokens 1d': 'TPD' };
  var STATE_WORDS = { ok: 'OK', warning: 'near limit', exhausted: 'exhausted' };
  var STATE_ICONS = { ok: '\u25CF', warning: '\u25B2', exhausted: '\u2716' };
  var RANK = { ok: 0, warning: 1, exhausted: 2 };

  // The script's own origin: the collector that served it, unless endpoint says otherwise.
  var scriptOrigin = (function () {
    try { return new URL(document.currentScript.src, location.href).origin; } catch (e) { return location.origin; }
  })();

  function grouped(n) {
    if (n === null || n === undefined || n === '') return '\u2013';
    return Number(n).toLocaleString('en-US', { maximumFractionDigits: 0 });
  }

  // objects turns a report result into one object per row, keyed by column name.
  function objects(result) {
    if (!result || !result.columns) return [];
    var names = result.columns.map(function (c) { return c.name; });
    return (result.rows || []).map(function (row) {
      var o = {};
      names.forEach(function (n, i) { o[n] = row[i]; });
      return o;
    });
  }

  // state of one quota row: exhausted when nothing remains, warning when the report
  // says it passed its threshold.
  function state(q) {
    if (q.limit > 0 && q.remaining !== null && q.remaining <= 0) return 'exhausted';
    if (q.warning === true) return 'warning';
    return 'ok';
  }

  function windowName(q) {
    return SHORT[q.resource + ' ' + q.window] || q.resource + ' per ' + q.window;
  }

  function providerName(p) { return PROVIDER_NAMES[p] || p; }

  // describe is one quota row in words: "14,123 / 14,400 requests today (header)".
  function describe(q) {
    return grouped(q.remaining) + ' / ' + grouped(q.limit) + ' ' + q.resource + ' ' +
      (WINDOW_WORDS[q.window] || 'per ' + q.window);
  }

  function worse(a, b) {
    var ra = RANK[state(a)], rb = RANK[state(b)];
    if (ra !== rb) return ra > rb;
    return (a.utilization || 0) > (b.utilization || 0);
  }

  // summarize returns one line per provider, for the model closest to running out:
  // "Groq: 14,123 / 14,400 requests today", or, where a model has a per-minute and a
  // per-day request quota, "Gemini: 12 RPM / 230 RPD" (remaining in each).
  function summarize(result) {
    var rows = objects(result);
    var providers = [];
    var byProvider = {};
    rows.forEach(function (q) {
      if (!byProvider[q.provider]) { byProvider[q.provider] = []; providers.push(q.provider); }
      byProvider[q.provider].push(q);
    });
    return providers.map(function (p) {
      var qs = byProvider[p];
      var worst = qs.reduce(function (a, b) { return worse(b, a) ? b : a; });
      var mine = qs.filter(function (q) { return q.model === worst.model; });
      var find = function (res, win) {
        return mine.filter(function (q) { return q.resource === res && q.window === win; })[0];
      };
      var rpm = find('requests', '1m'), rpd = find('requests', '1d');
      var text;
      if (rpm && rpd) {
        text = grouped(rpm.remaining) + ' RPM / ' + grouped(rpd.remaining) + ' RPD';
      } else {
        text = describe(rpd || mine.reduce(function (a, b) { return worse(b, a) ? b : a; }));
      }
      var st = state(worst);
      return {
        provider: p,
        name: providerName(p),
        model: worst.model,
        text: providerName(p) + ': ' + text,
        state: st,
        words: st === 'ok' ? '' : windowName(worst) + ' ' + STATE_WORDS[st],
        detail: qs.map(function (q) {
          return q.model + ': ' + describe(q) + ' (' + q.source + ', ' + STATE_WORDS[state(q)] + ')';
        }).join('\n')
      };
    });
  }

  var CSS = ':host{display:inline-flex;flex-wrap:wrap;align-items:center;gap:.2rem 1rem;font:inherit;line-height:1.4}' +
    '.lines{display:inline-flex;flex-wrap:wrap;align-items:baseline;gap:.2rem 1.1rem}' +
    '.q{display:inline-flex;align-items:baseline;gap:.35em}' +
    '.icon{font-size:.8em}' +
    '.ok .icon{color:var(--aiusage-ok,#15803d)}' +
    '.warning .icon,.warning .words{color:var(--aiusage-warning,#a16207)}' +
    '.exhausted .icon,.exhausted .words{color:var(--aiusage-exhausted,#b91c1c)}' +
    '.words{font-weight:600}' +
    '.note{opacity:.8}';

  function styleRoot(root) {
    if ('adoptedStyleSheets' in Document.prototype && typeof CSSStyleSheet === 'function') {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
        return;
      } catch (e) { /* fall back to a style element */ }
    }
    var style = document.createElement('style');
    style.textContent = CSS;
    root.appendChild(style);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // render writes the lines of summarize into a container.
  function render(container, lines) {
    container.textContent = '';
    if (!lines.length) {
      container.appendChild(el('span', 'note', 'No quota observed yet'));
      return;
    }
    lines.forEach(function (l) {
      var q = el('span', 'q ' + l.state);
      q.setAttribute('part', 'provider ' + l.state);
      q.dataset.provider = l.provider;
      q.dataset.state = l.state;
      q.title = l.detail;
      q.appendChild(el('span', 'icon', STATE_ICONS[l.state])).setAttribute('aria-hidden', 'true');
      q.appendChild(el('span', 'text', l.text));
      if (l.words) q.appendChild(el('span', 'words', '\u2014 ' + l.words));
      container.appendChild(q);
    });
  }

  var MIN_REFRESH = 5, MAX_WAIT = 120;

  class AIUsageQuotaElement extends HTMLElement {
    constructor() {
      super();
      this._root = this.attachShadow({ mode: 'open' });
      styleRoot(this._root);
      this._box = el('span', 'lines');
      this._root.appendChild(this._box);
      this._timer = 0;
      this._token = null;
      this._data = null;
    }
    static get observedAttributes() { return ['endpoint', 'token', 'refresh', 'providers']; }
    get token() { return this._token !== null ? this._token : (this.getAttribute('token') || ''); }
    set token(v) { this._token = v || ''; this._schedule(0); }
    // data sets a quota result to show instead of reading the endpoint (the console
    // and the static report pass the answer they already have).
    get data() { return this._data; }
    set data(result) { this._data = result; this._stop(); this._show(result); }
    connectedCallback() {
      this.setAttribute('role', this.getAttribute('role') || 'group');
      if (!this.hasAttribute('aria-label')) this.setAttribute('aria-label', 'AI provider quota');
      if (this._data) this._show(this._data);
      else if (!this.hasAttribute('data-console')) this._schedule(0);
    }
    disconnectedCallback() { this._stop(); }
    attributeChangedCallback() { if (this.isConnected && !this._data && !this.hasAttribute('data-console')) this._schedule(0); }
    _stop() { clearTimeout(this._timer); this._timer = 0; }
    _schedule(seconds) {
      this._stop();
      var self = this;
      this._timer = setTimeout(function () { self._read(); }, seconds * 1000);
    }
    _refresh() {
      var s = Number(this.getAttribute('refresh'));
      return s >= MIN_REFRESH ? s : 30;
    }
    _show(result) {
      var only = (this.getAttribute('providers') || '').split(',').map(function (s) { return s.trim(); }).filter(Boolean);
      var lines = summarize(result).filter(function (l) { return !only.length || only.indexOf(l.provider) >= 0; });
      render(this._box, lines);
      this.dispatchEvent(new CustomEvent('aiusage-quota', { detail: lines }));
    }
    _fail(message, detail) {
      this._box.textContent = '';
      var n = el('span', 'note', message);
      if (detail) n.title = detail;
      this._box.appendChild(n);
    }
    _read() {
      var self = this;
      var base = (this.getAttribute('endpoint') || scriptOrigin).replace(/\/+$/, '');
      var headers = {};
      if (this.token) headers.Authorization = 'Bearer ' + this.token;
      fetch(base + '/reports/quota', { headers: headers, mode: 'cors', credentials: 'omit', cache: 'no-store' })
        .then(function (resp) {
          if (resp.status === 503 || resp.status === 429) {
            var wait = Math.min(Math.max(Number(resp.headers.get('Retry-After')) || 5, 1), MAX_WAIT);
            self._schedule(wait);
            return null;
          }
          if (resp.status === 401) {
            self._fail('Quota: token refused', 'The collector wants its reports.bearer_token in the token attribute.');
            self._schedule(self._refresh());
            return null;
          }
          return resp.json().then(function (body) {
            if (!resp.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + resp.status);
            self._show(body);
            self._schedule(self._refresh());
          });
        })
        .catch(function (err) {
          self._fail('Quota unavailable', String(err && err.message || err) +
            ' (a page of another origin needs reports.cors_allowed_origins on the collector)');
          self._schedule(self._refresh());
        });
    }
  }

  window.AIUsageQuota = {
    objects: objects, state: state, summarize: summarize, describe: describe, grouped: grouped,
    providerName: providerName, windowName: windowName, STATE_WORDS: STATE_WORDS, STATE_ICONS: STATE_ICONS
  };
  if (!customElements.get('aiusage-quota')) customElements.define('aiusage-quota', AIUsageQuotaElement);
})();
