// aiusage console: reads the report endpoint's JSON (or, in the static report, the
// answers written into the page) and draws the panels. Every number shown is a report's
// answer or a sum of its rows; nothing is computed that a report does not also show.
(function () {
  'use strict';

  var Q = window.AIUsageQuota;
  var plan = JSON.parse(document.getElementById('aiusage-plan').textContent);
  var dataEl = document.getElementById('aiusage-data');
  var STATIC = dataEl ? JSON.parse(dataEl.textContent) : null;
  var TOKEN_KEY = 'aiusage.token';
  var MAX_ATTEMPTS = 4, MAX_WAIT = 60;
  // Colour-blind-safe series colours; series are also named in the legend and tables.
  var PALETTE = ['#2563eb', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#7c3aed', '#6b7280'];
  var MAX_SERIES = 7;
  var FILTER_LABELS = { user_id: 'User', project_id: 'Project', model: 'Model' };
  var NOT_SPLIT = { user_id: 'every user', project_id: 'every project', model: 'every model' };

  // ---------- DOM
  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    append(e, children);
    return e;
  }
  function sv(tag, attrs, children) {
    var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    setAttrs(e, attrs);
    append(e, children);
    return e;
  }
  function setAttrs(e, attrs) {
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.setAttribute('class', v);
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    });
  }
  function append(e, children) {
    (Array.isArray(children) ? children : [children]).forEach(function (c) {
      if (c === undefined || c === null || c === false) return;
      if (Array.isArray(c)) { append(e, c); return; }
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
  }
  function $(id) { return document.getElementById(id); }
  function body(id) { return $(id).querySelector('.body'); }
  function replace(el, children) { el.textContent = ''; append(el, children); }

  // ---------- formatting
  function fmtInt(n) { return n === null || n === undefined ? '\u2013' : Math.round(n).toLocaleString('en-US'); }
  function fmtUSD(v) {
    if (v === null || v === undefined) return 'unpriced';
    var a = Math.abs(v);
    if (a === 0) return '$0';
    if (a >= 1) return '$' + v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    if (a >= 0.01) return '$' + v.toFixed(4);
    return '$' + v.toFixed(6);
  }
  function fmtPct(u) { return u === null || u === undefined ? '\u2013' : (u * 100).toFixed(Math.abs(u) < 0.1 ? 1 : 0) + '%'; }
  function fmtShort(v) {
    var a = Math.abs(v);
    if (a >= 1e9) return +(v / 1e9).toFixed(1) + 'G';
    if (a >= 1e6) return +(v / 1e6).toFixed(1) + 'M';
    if (a >= 1e3) return +(v / 1e3).toFixed(1) + 'k';
    if (a >= 1 || a === 0) return String(+v.toFixed(1));
    return String(+v.toPrecision(2));
  }
  function fmtTime(iso) { return iso ? iso.replace('T', ' ').replace(/(:\d\d)?(\.\d+)?Z$/, ' UTC') : '\u2013'; }
  function isUSD(name) { return /usd/.test(name); }
  function fmtCell(col, v) {
    if (v === null || v === undefined) return h('span', { class: 'null', text: isUSD(col.name) ? 'unpriced' : 'NULL' });
    switch (col.type) {
      case 'BIGINT': case 'INTEGER': case 'HUGEINT': case 'UBIGINT': return fmtInt(v);
      case 'DOUBLE': case 'FLOAT': case 'DECIMAL':
        if (isUSD(col.name)) return fmtUSD(v);
        if (/util/.test(col.name)) return fmtPct(v);
        return (+v.toFixed(4)).toLocaleString('en-US', { maximumFractionDigits: 4 });
      case 'BOOLEAN': return v ? 'yes' : 'no';
      case 'TIMESTAMPTZ': case 'TIMESTAMP': return fmtTime(v);
    }
    return Array.isArray(v) ? v.join(', ') : String(v);
  }
  function isNumeric(col) { return /^(BIGINT|INTEGER|HUGEINT|UBIGINT|DOUBLE|FLOAT|DECIMAL)/.test(col.type); }
  function human(name) { return name.replace(/_/g, ' '); }
  // relative says how far a time is from now: "in 3 h 12 min", "5 min ago".
  function relative(iso) {
    var ms = Date.parse(iso) - Date.now();
    if (isNaN(ms)) return '';
    var s = Math.round(Math.abs(ms) / 1000), out;
    if (s < 60) out = s + ' s';
    else if (s < 3600) out = Math.floor(s / 60) + ' min' + (s % 60 && s < 600 ? ' ' + (s % 60) + ' s' : '');
    else if (s < 86400) out = Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min';
    else out = Math.floor(s / 86400) + ' d ' + Math.floor(s % 86400 / 3600) + ' h';
    return ms >= 0 ? 'in ' + out : out + ' ago';
  }
  function sum(rows, key) {
    return rows.reduce(function (a, r) { return a + (typeof r[key] === 'number' ? r[key] : 0); }, 0);
  }
  // costOf sums a cost column: null when every row is unpriced, as the reports say it.
  function costOf(rows, key) {
    var priced = rows.filter(function (r) { return r[key] !== null && r[key] !== undefined; });
    return priced.length ? sum(priced, key) : null;
  }

  // ---------- state
  var state = { days: plan.default_range, group: 'provider', filters: {}, list: null, answers: {}, calls: [], updated: null, sorts: {} };

  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ''));
    if (p.has('token')) {
      try { sessionStorage.setItem(TOKEN_KEY, p.get('token')); } catch (e) { /* private mode: ask again */ }
      p.delete('token');
      history.replaceState(null, '', location.pathname + location.search + (p.toString() ? '#' + p : ''));
    }
    var days = Number(p.get('days'));
    state.days = plan.ranges.indexOf(days) >= 0 ? days : plan.default_range;
    state.group = p.get('group') === 'model' ? 'model' : 'provider';
    state.filters = {};
    plan.filters.forEach(function (f) { if (p.get(f)) state.filters[f] = p.get(f); });
  }
  function writeHash() {
    var p = new URLSearchParams();
    if (state.days !== plan.default_range) p.set('days', state.days);
    if (state.group !== 'provider') p.set('group', state.group);
    plan.filters.forEach(function (f) { if (state.filters[f]) p.set(f, state.filters[f]); });
    var s = p.toString();
    history.replaceState(null, '', location.pathname + location.search + (s ? '#' + s : ''));
  }

  // ---------- the plan (as console.Plan.Resolve in Go)
  function vars() {
    if (STATIC) return { to: STATIC.to, days: STATIC.days, as_of: STATIC.as_of || '' };
    return { to: new Date().toISOString().slice(0, 10), days: state.days, as_of: '' };
  }
  function fromDay(v) {
    var d = new Date(v.to + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() - (v.days - 1));
    return d.toISOString().slice(0, 10);
  }
  function expand(t, v) {
    return t.replace('{from}', fromDay(v)).replace('{to}', v.to).replace('{days}', String(v.days)).replace('{as_of}', v.as_of);
  }
  function declares(rep, name) { return (rep.params || []).some(function (p) { return p.name === name; }); }
  function resolve(list, v, filters) {
    var calls = [];
    plan.requests.forEach(function (req) {
      var rep = list.filter(function (r) { return r.name === req.report; })[0];
      if (!rep) return; // optional, or a server without it: its panel says so
      var params = {};
      Object.keys(req.params || {}).forEach(function (k) {
        var val = expand(req.params[k], v);
        if (declares(rep, k) && val !== '') params[k] = val;
      });
      plan.filters.forEach(function (f) { if (filters[f] && declares(rep, f)) params[f] = filters[f]; });
      calls.push({ id: req.id, report: req.report, params: params });
    });
    return calls;
  }
  function callPath(c) {
    var q = new URLSearchParams();
    Object.keys(c.params).sort().forEach(function (k) { q.set(k, c.params[k]); });
    var s = q.toString();
    return '/reports/' + encodeURIComponent(c.report) + (s ? '?' + s : '');
  }

  // ---------- reading the endpoint
  function BusyError(wait) { this.message = 'the collector is busy'; this.wait = wait; }
  function AuthError(msg) { this.message = msg; }
  function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
  function sleep(s) { return new Promise(function (r) { setTimeout(r, s * 1000); }); }

  // getJSON reads one answer at path on the report endpoint, which serves the console at
  // /console/ (paths are relative, so a proxy may mount both under a prefix); a busy endpoint (503 or 429 with Retry-After) is asked
  // again after the wait it names, a few times.
  async function getJSON(path) {
    for (var attempt = 1; ; attempt++) {
      var headers = {};
      if (token()) headers.Authorization = 'Bearer ' + token();
      var resp = await fetch('..' + path, { headers: headers, cache: 'no-store', credentials: 'same-origin' });
      if (resp.status === 503 || resp.status === 429) {
        var wait = Math.min(Math.max(Number(resp.headers.get('Retry-After')) || 2, 1), MAX_WAIT);
        if (attempt >= MAX_ATTEMPTS) throw new BusyError(wait);
        busyFor(wait);
        await sleep(wait);
        continue;
      }
      var body = await resp.json().catch(function () { return null; });
      if (resp.status === 401) throw new AuthError(body && body.error || 'missing or wrong bearer token');
      if (!resp.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + resp.status);
      return body;
    }
  }

  // runAll answers the calls, at most plan.max_in_flight at a time.
  async function runAll(calls) {
    var out = {}, next = 0;
    async function worker() {
      while (next < calls.length) {
        var c = calls[next++];
        try { out[c.id] = { call: c, result: await getJSON(callPath(c)) }; } catch (e) { out[c.id] = { call: c, error: e }; }
      }
    }
    var workers = [];
    for (var i = 0; i < Math.max(1, plan.max_in_flight); i++) workers.push(worker());
    await Promise.all(workers);
    return out;
  }

  // ---------- status line
  var statusEl = $('status');
  function setStatus(kind, text) { statusEl.dataset.state = kind; statusEl.textContent = text; }
  function busyFor(s) { setStatus('busy', 'Collector busy: asking again in ' + s + ' s'); }
  function showUpdated() {
    if (STATIC) return;
    if (!state.updated) return;
    setStatus(state.stale ? 'error' : 'ok', (state.stale ? 'Showing data from ' : 'Last updated ') +
      state.updated.toLocaleTimeString('en-GB', { timeZone: 'UTC' }) + ' UTC (' + relative(state.updated.toISOString()) + ')' +
      (state.stale ? ': ' + state.stale : ''));
  }

  // ---------- answers and filters
  // answer returns a call's rows with the filters the report could not apply itself
  // applied on its rows (a model column) or named as not applied.
  function answer(id) {
    var a = state.answers[id];
    if (!a) return null;
    var out = { call: a.call, result: a.result, error: a.error, rows: [], notes: [] };
    if (!a.result) return out;
    var cols = a.result.columns.map(function (c) { return c.name; });
    var rows = Q.objects(a.result);
    Object.keys(state.filters).forEach(function (f) {
      if (f in a.call.params) return;
      if (cols.indexOf(f) >= 0) rows = rows.filter(function (r) { return r[f] === state.filters[f]; });
      else out.notes.push(f);
    });
    out.rows = rows;
    return out;
  }
  function notes(a, why) {
    if (!a || !a.notes.length) return null;
    return h('p', { class: 'note', text: 'Shows ' + a.notes.map(function (f) { return NOT_SPLIT[f]; }).join(' and ') + ': ' + why });
  }
  function missing(id, panel) {
    var a = state.answers[id];
    if (a && a.error) {
      replace(body(panel), h('p', { class: 'panel-error', role: 'alert', text: 'Report ' + a.call.report + ' failed: ' + a.error.message }));
      return true;
    }
    if (!a) {
      replace(body(panel), h('p', { class: 'note', text: 'The report endpoint does not offer this report.' }));
      return true;
    }
    return false;
  }
  function setFilter(name, value) {
    if (STATIC) return;
    if (value) state.filters[name] = value; else delete state.filters[name];
    writeHash();
    renderFilters();
    refresh();
  }
  // filterButton is a value that narrows the console when clicked (live console only).
  function filterButton(name, value, label) {
    if (STATIC || value === '' || value === null) return h('span', { text: label });
    return h('button', {
      type: 'button', class: 'link', text: label, 'data-filter': name, 'data-value': value,
      'aria-label': 'Show only ' + FILTER_LABELS[name].toLowerCase() + ' ' + label,
      onclick: function () { setFilter(name, value); }
    });
  }

  // ---------- tables
  // table draws rows (objects) with the given columns: sortable, exportable as CSV.
  function table(key, caption, columns, rows, opts) {
    opts = opts || {};
    var sort = state.sorts[key] || {};
    var sorted = rows.slice();
    if (sort.col) {
      sorted.sort(function (a, b) {
        var x = a[sort.col], y = b[sort.col];
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * (sort.dir === 'descending' ? -1 : 1);
      });
    }
    var head = h('tr', {}, columns.map(function (c) {
      var dir = sort.col === c.name ? sort.dir : null;
      return h('th', { scope: 'col', class: isNumeric(c) ? 'num' : '', 'aria-sort': dir || 'none' }, h('button', {
        type: 'button', text: human(c.name), title: c.doc || c.name,
        onclick: function () {
          state.sorts[key] = { col: c.name, dir: dir === 'descending' ? 'ascending' : 'descending' };
          var fresh = table(key, caption, columns, rows, opts);
          wrap.replaceWith(fresh);
          fresh.querySelector('th[aria-sort]:not([aria-sort=none]) button').focus();
        }
      }));
    }));
    var tbody = h('tbody', {}, sorted.map(function (r) {
      return h('tr', { class: opts.rowClass ? opts.rowClass(r) : '' }, columns.map(function (c) {
        var cell = opts.cell && opts.cell(c, r);
        return h('td', { class: isNumeric(c) ? 'num' : '', 'data-col': c.name }, cell || fmtCell(c, r[c.name]));
      }));
    }));
    var wrap = h('div', { class: 'data-table', 'data-table': key }, [
      h('div', { class: 'table-tools' }, h('button', {
        type: 'button', text: 'Download CSV', 'aria-label': 'Download ' + caption + ' as CSV',
        onclick: function () { download(key + '.csv', csv(columns, sorted)); }
      })),
      h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
        h('table', {}, [h('caption', { text: caption }), h('thead', {}, head), tbody]))
    ]);
    return wrap;
  }
  function csv(columns, rows) {
    var q = function (v) {
      if (v === null || v === undefined) return '';
      var s = Array.isArray(v) ? v.join(';') : String(v);
      return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    return [columns.map(function (c) { return q(c.name); }).join(',')].concat(rows.map(function (r) {
      return columns.map(function (c) { return q(r[c.name]); }).join(',');
    })).join('\r\n') + '\r\n';
  }
  function download(name, text) {
    var url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
    var a = h('a', { href: url, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }
  function columnsOf(a, names) {
    var cols = a.result.columns;
    var docs = {};
    (reportOf(a.call.report).columns || []).forEach(function (c) { docs[c.name] = c.doc; });
    cols = cols.map(function (c) { return { name: c.name, type: c.type, doc: docs[c.name] }; });
    if (!names) return cols;
    return cols.filter(function (c) { return names.indexOf(c.name) >= 0; });
  }
  function reportOf(name) { return (state.list || []).filter(function (r) { return r.name === name; })[0] || {}; }

  // ---------- figures
  function stat(key, label, value, text, extra) {
    return h('div', { class: 'stat' }, [
      h('dt', { text: label }),
      h('dd', { 'data-key': key, 'data-value': value === null ? 'null' : String(value) }, [text, extra])
    ]);
  }

  // ---------- panels
  function renderQuota() {
    var a = answer('quota');
    var headerQuota = $('header-quota');
    if (a && a.result) headerQuota.data = a.result;
    if (missing('quota', 'quota')) return;
    var rows = a.rows.slice().sort(function (x, y) {
      var r = { exhausted: 0, warning: 1, ok: 2 };
      return r[Q.state(x)] - r[Q.state(y)] || (y.utilization || 0) - (x.utilization || 0);
    });
    var hasExhaust = a.result.columns.some(function (c) { return c.name === 'exhausts_at'; });
    if (!rows.length) {
      replace(body('quota'), [notes(a, 'a quota belongs to the provider account, not to a user or project.'),
        h('p', { class: 'note', text: 'No quota observed in the last days: quotas appear with the first provider call.' })]);
      return;
    }
    var list = h('ul', { class: 'quota-list' }, rows.map(function (q) {
      var st = Q.state(q);
      var util = q.utilization === null ? null : Math.max(0, Math.min(1, q.utilization));
      var fill = h('div', { class: 'fill' });
      fill.style.width = ((util || 0) * 100).toFixed(1) + '%';
      var used = q.limit !== null && q.remaining !== null ? q.limit - q.remaining : null;
      var when = [];
      if (q.reset_at) when.push(h('span', { 'data-reset': q.reset_at, text: 'resets ' + relative(q.reset_at) }));
      if (hasExhaust && q.exhausts_at) when.push(h('span', { 'data-exhausts': q.exhausts_at, text: ' \u00b7 runs out ' + relative(q.exhausts_at) }));
      return h('li', {
        class: 'quota-row', 'data-state': st, 'data-provider': q.provider, 'data-model': q.model,
        'data-resource': q.resource, 'data-window': q.window
      }, [
        h('div', { class: 'quota-name' }, [Q.providerName(q.provider) + ' \u00b7 ', filterButton('model', q.model, q.model),
          h('small', { text: q.resource + ' per ' + ({ '1d': 'day', '1m': 'minute' }[q.window] || q.window) + ' \u00b7 ' + (q.source === 'estimate' ? 'counted here (estimate)' : 'from provider headers') })]),
        h('div', { class: 'meter', 'aria-hidden': 'true' }, fill),
        h('div', { class: 'quota-figures' }, [
          h('span', { class: 'badge', 'data-state': st }, [h('span', { 'aria-hidden': 'true', text: Q.STATE_ICONS[st] }), ' ' + Q.STATE_WORDS[st]]),
          ' ',
          h('span', { 'data-key': 'remaining', 'data-value': String(q.remaining), text: fmtInt(q.remaining) }), ' of ',
          h('span', { 'data-key': 'limit', 'data-value': String(q.limit), text: fmtInt(q.limit) }), ' left (',
          h('span', { 'data-key': 'utilization', 'data-value': String(q.utilization), text: fmtPct(q.utilization) }), ' used',
          used !== null ? ', ' + fmtInt(used) + ' ' + q.resource : '', ')',
          when.length ? h('br') : null, when
        ])
      ]);
    }));
    replace(body('quota'), [notes(a, 'a quota belongs to the provider account, not to a user or project.'), list]);
  }

  function renderToday() {
    var v = vars();
    $('today').querySelector('.when').textContent = v.to;
    if (missing('daily', 'today')) return;
    var a = answer('daily');
    var rows = a.rows.filter(function (r) { return r.day === v.to; });
    var cost = costOf(rows, 'cost_usd');
    var unpriced = sum(rows, 'unpriced_requests');
    replace(body('today'), [notes(a, 'the daily report is not split that way.'), h('dl', { class: 'stats' }, [
      stat('requests', 'Requests', sum(rows, 'requests'), fmtInt(sum(rows, 'requests'))),
      stat('errors', 'Failed', sum(rows, 'errors'), fmtInt(sum(rows, 'errors'))),
      stat('rate_limited', 'Rate-limited (429)', sum(rows, 'rate_limited'), fmtInt(sum(rows, 'rate_limited'))),
      stat('input_tokens', 'Input tokens', sum(rows, 'input_tokens'), fmtInt(sum(rows, 'input_tokens'))),
      stat('cache_read_input_tokens', 'of them cached', sum(rows, 'cache_read_input_tokens'), fmtInt(sum(rows, 'cache_read_input_tokens'))),
      stat('output_tokens', 'Output tokens', sum(rows, 'output_tokens'), fmtInt(sum(rows, 'output_tokens'))),
      stat('reasoning_output_tokens', 'of them reasoning', sum(rows, 'reasoning_output_tokens'), fmtInt(sum(rows, 'reasoning_output_tokens'))),
      stat('cost_usd', 'Cost (priced calls)', cost, fmtUSD(cost)),
      stat('unpriced_requests', 'Unpriced calls', unpriced, fmtInt(unpriced), h('small', { text: 'not counted as free' }))
    ])]);
  }

  function renderMonth() {
    var v = vars();
    $('month').querySelector('.when').textContent = v.to.slice(0, 7) + ', to ' + v.to;
    if (missing('cost', 'month')) return;
    var a = answer('cost');
    var rows = a.rows;
    var unpricedRows = rows.filter(function (r) { return r.status === 'unpriced'; });
    var cost = costOf(rows, 'cost_usd');
    var projected = costOf(rows, 'projected_month_usd');
    var parts = [notes(a, 'the cost report is not split that way.'), h('dl', { class: 'stats' }, [
      stat('requests', 'Requests', sum(rows, 'requests'), fmtInt(sum(rows, 'requests'))),
      stat('input_tokens', 'Input tokens', sum(rows, 'input_tokens'), fmtInt(sum(rows, 'input_tokens'))),
      stat('cache_read_input_tokens', 'of them cached', sum(rows, 'cache_read_input_tokens'), fmtInt(sum(rows, 'cache_read_input_tokens'))),
      stat('output_tokens', 'Output tokens', sum(rows, 'output_tokens'), fmtInt(sum(rows, 'output_tokens'))),
      stat('cost_usd', 'Cost to date', cost, fmtUSD(cost)),
      stat('projected_month_usd', 'Month-end projection', projected, fmtUSD(projected)),
      stat('unpriced_requests', 'Unpriced calls', sum(unpricedRows, 'requests'), fmtInt(sum(unpricedRows, 'requests')),
        h('small', { text: unpricedRows.length ? unpricedRows.map(function (r) { return r.model; }).join(', ') : 'none' }))
    ])];
    var b = answer('budgets');
    if (b && b.result) parts.push(h('h3', { text: 'Budgets' }), budgetList(b));
    replace(body('month'), parts);
  }

  // budgetList shows the budgets report, whatever its columns: a row's text columns name
  // it; a status column, in words and colour; its numbers as the report gives them.
  function budgetList(b) {
    var cols = columnsOf(b);
    if (!b.rows.length) return h('p', { class: 'note', text: 'No budgets set.' });
    return h('ul', { class: 'quota-list' }, b.rows.map(function (r) {
      var names = cols.filter(function (c) { return c.type === 'VARCHAR' && c.name !== 'status'; }).map(function (c) { return r[c.name]; }).filter(Boolean);
      var status = r.status || r.state || '';
      var st = /exceed|over|exhaust/i.test(status) ? 'exhausted' : /warn|near|risk/i.test(status) ? 'warning' : 'ok';
      return h('li', { class: 'quota-row', 'data-state': st }, [
        h('div', { class: 'quota-name', text: names.join(' \u00b7 ') || 'budget' }),
        h('div', { class: 'quota-figures' }, cols.filter(isNumeric).map(function (c) {
          return h('span', {}, [human(c.name) + ': ', fmtCell(c, r[c.name]), ' ']);
        })),
        status ? h('span', { class: 'badge', 'data-state': st }, [h('span', { 'aria-hidden': 'true', text: Q.STATE_ICONS[st] }), ' ' + status]) : null
      ]);
    }));
  }

  function days(v) {
    var out = [], d = new Date(fromDay(v) + 'T00:00:00Z'), end = v.to;
    for (var i = 0; i < 4000; i++) {
      var s = d.toISOString().slice(0, 10);
      out.push(s);
      if (s >= end) break;
      d.setUTCDate(d.getUTCDate() + 1);
    }
    return out;
  }

  function renderCharts() {
    if (missing('daily', 'charts')) return;
    var a = answer('daily');
    var v = vars();
    var labels = days(v);
    var key = state.group;
    // Series: the biggest by requests, the rest together.
    var totals = {};
    a.rows.forEach(function (r) { totals[r[key]] = (totals[r[key]] || 0) + r.requests; });
    var names = Object.keys(totals).sort(function (x, y) { return totals[y] - totals[x] || (x < y ? -1 : 1); });
    var shown = names.slice(0, names.length > MAX_SERIES + 1 ? MAX_SERIES : MAX_SERIES + 1);
    var seriesOf = function (r) { return shown.indexOf(r[key]) >= 0 ? r[key] : 'other'; };
    var series = shown.concat(names.length > shown.length ? ['other'] : []);
    var metrics = [
      { id: 'requests', title: 'Requests per day', value: function (r) { return r.requests; }, fmt: fmtInt },
      { id: 'tokens', title: 'Tokens per day (input + output)', value: function (r) { return r.input_tokens + r.output_tokens; }, fmt: fmtInt },
      { id: 'cost', title: 'Cost per day (USD, priced calls)', value: function (r) { return r.cost_usd || 0; }, fmt: fmtUSD }
    ];
    var grid = h('div', { class: 'chart-grid' }, metrics.map(function (m) {
      var values = {};
      series.forEach(function (s) { values[s] = labels.map(function () { return 0; }); });
      a.rows.forEach(function (r) {
        var i = labels.indexOf(r.day);
        if (i >= 0) values[seriesOf(r)][i] += m.value(r);
      });
      return barChart(m, labels, series, values);
    }));
    replace(body('charts'), [notes(a, 'the daily report is not split that way.'), grid]);
  }

  // barChart draws stacked bars per day with a y axis, a legend, tooltips and, as its
  // text alternative, a table of the same values.
  function barChart(m, labels, series, values) {
    var W = 560, H = 220, L = 52, R = 8, T = 10, B = 28;
    var totals = labels.map(function (_, i) { return series.reduce(function (a, s) { return a + values[s][i]; }, 0); });
    var max = Math.max.apply(null, totals.concat([0]));
    var step = niceStep(max / 4);
    var top = step * Math.max(1, Math.ceil(max / step));
    var y = function (val) { return T + (H - T - B) * (1 - val / top); };
    var slot = (W - L - R) / labels.length;
    var color = function (i) { return PALETTE[i % PALETTE.length]; };
    var children = [];
    for (var t = 0; t <= top + step / 2; t += step) {
      children.push(sv('line', { class: 'grid', x1: L, x2: W - R, y1: y(t), y2: y(t) }));
      children.push(sv('text', { x: L - 6, y: y(t) + 4, 'text-anchor': 'end', text: m.id === 'cost' ? '$' + fmtShort(t) : fmtShort(t) }));
    }
    children.push(sv('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    var every = Math.ceil(labels.length / 8);
    labels.forEach(function (day, i) {
      var x = L + i * slot;
      var y0 = H - B;
      var g = sv('g', { class: 'bar', 'data-day': day });
      series.forEach(function (s, si) {
        var val = values[s][i];
        if (!val) return;
        var hgt = (H - T - B) * val / top;
        y0 -= hgt;
        g.appendChild(sv('rect', { x: x + slot * 0.15, y: y0, width: Math.max(1, slot * 0.7), height: hgt, fill: color(si) },
          sv('title', { text: day + ' ' + s + ': ' + m.fmt(val) })));
      });
      g.appendChild(sv('rect', { x: x, y: T, width: slot, height: H - T - B, fill: 'transparent', class: 'hit' }));
      g.addEventListener('mousemove', function (ev) { tip(ev, fig, day, series.map(function (s, si) { return [s, values[s][i], color(si)]; }), totals[i], m.fmt); });
      g.addEventListener('mouseleave', function () { tipEl.hidden = true; });
      children.push(g);
      if (i % every === 0 || i === labels.length - 1 && labels.length <= 16) {
        children.push(sv('text', { x: x + slot / 2, y: H - B + 16, 'text-anchor': 'middle', text: day.slice(5) }));
      }
    });
    var summary = m.title + ' from ' + labels[0] + ' to ' + labels[labels.length - 1] + ': ' +
      m.fmt(totals.reduce(function (a, b) { return a + b; }, 0)) + ' in all, at most ' + m.fmt(max) + ' on a day. The table view lists every value.';
    var svg = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': summary }, children);
    var tipEl = h('div', { class: 'tip', hidden: true, role: 'presentation' });
    var legend = h('ul', { class: 'legend', 'aria-label': m.title + ': series' }, series.map(function (s, si) {
      var sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      sw.style.background = color(si);
      var label = s === '' ? '(none)' : s;
      if (state.group === 'model' && s !== 'other' && !STATIC) {
        return h('li', {}, h('button', { type: 'button', 'data-filter': 'model', 'data-value': s, 'aria-label': 'Show only model ' + s, onclick: function () { setFilter('model', s); } }, [sw, label]));
      }
      return h('li', {}, [sw, ' ', label]);
    }));
    var cols = [{ name: 'day', type: 'DATE' }].concat(series.map(function (s) { return { name: s || '(none)', type: m.id === 'cost' ? 'DOUBLE' : 'BIGINT', key: s }; }), [{ name: 'total', type: m.id === 'cost' ? 'DOUBLE' : 'BIGINT' }]);
    var rows = labels.map(function (day, i) {
      var r = { day: day, total: totals[i] };
      series.forEach(function (s) { r[s || '(none)'] = values[s][i]; });
      return r;
    });
    var view = h('details', { class: 'table-view' }, [h('summary', { text: 'Table view' }),
      table('chart-' + m.id, m.title, cols.map(function (c) { return m.id === 'cost' && c.name !== 'day' ? { name: c.name, type: c.type, doc: 'USD' } : c; }), rows, {
        cell: function (c, r) { return m.id === 'cost' && c.name !== 'day' ? fmtUSD(r[c.name]) : null; }
      })]);
    var fig = h('figure', { class: 'chart', 'data-chart': m.id }, [h('figcaption', { text: m.title }), svg, tipEl, legend, view]);
    return fig;
  }
  function niceStep(raw) {
    if (!(raw > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var n = raw / p;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * p;
  }
  function tip(ev, fig, day, parts, total, fmt) {
    var t = fig.querySelector('.tip');
    replace(t, [h('strong', { text: day }), h('br')].concat(parts.filter(function (p) { return p[1]; }).map(function (p) {
      var sw = h('span', { class: 'swatch' });
      sw.style.background = p[2];
      return h('div', {}, [sw, ' ' + (p[0] || '(none)') + ': ' + fmt(p[1])]);
    }), [h('div', { text: 'total: ' + fmt(total) })]));
    t.hidden = false;
    var box = fig.getBoundingClientRect();
    var x = ev.clientX - box.left + 12, y = ev.clientY - box.top + 12;
    if (x + t.offsetWidth > box.width) x = Math.max(0, x - t.offsetWidth - 24);
    t.style.left = x + 'px';
    t.style.top = y + 'px';
  }

  // hbars is a ranked list of bars whose names narrow the console when clicked.
  function hbars(items, filter, fmt) {
    var max = Math.max.apply(null, items.map(function (i) { return i.value; }).concat([0]));
    return h('ol', { class: 'hbars' }, items.map(function (i) {
      var fill = h('div', { class: 'fill' });
      fill.style.width = (max ? i.value / max * 100 : 0).toFixed(1) + '%';
      var name = i.key === '' ? '(none)' : i.key;
      var who = STATIC || i.key === '' ? h('span', { class: 'who', text: name, title: i.key === '' ? 'calls without one: not a filter' : name })
        : h('button', { type: 'button', class: 'who', text: name, title: name, 'data-filter': filter, 'data-value': i.key, 'aria-label': 'Show only ' + FILTER_LABELS[filter].toLowerCase() + ' ' + name, onclick: function () { setFilter(filter, i.key); } });
      return h('li', { class: 'hbar', 'data-key': i.key, 'data-value': String(i.value) }, [who, h('div', { class: 'meter', 'aria-hidden': 'true' }, fill), h('span', { class: 'v', text: fmt(i) })]);
    }));
  }

  function renderTopUsers() {
    if (missing('users', 'top-users')) return;
    var a = answer('users');
    var top = a.rows.slice().sort(function (x, y) { return y.total_tokens - x.total_tokens || (x.user_id < y.user_id ? -1 : 1); }).slice(0, 10);
    replace(body('top-users'), [
      notes(a, 'the users report is not split that way.'),
      h('p', { class: 'note', text: 'Top 10 by tokens, last ' + vars().days + ' days.' + (STATIC ? '' : ' Click a user to narrow every panel.') }),
      hbars(top.map(function (r) { return { key: r.user_id, value: r.total_tokens, cost: r.cost_usd }; }), 'user_id', function (i) { return fmtInt(i.value) + ' tok \u00b7 ' + fmtUSD(i.cost); }),
      table('users', 'Users, last ' + vars().days + ' days', columnsOf(a, ['user_id', 'requests', 'total_tokens', 'cost_usd', 'unpriced_requests', 'last_seen']), a.rows, {
        cell: function (c, r) { return c.name === 'user_id' ? filterButton('user_id', r.user_id, r.user_id || '(none)') : null; }
      })
    ]);
  }

  function renderTopProjects() {
    if (missing('projects', 'top-projects')) return;
    var a = answer('projects');
    var per = {};
    a.rows.forEach(function (r) {
      var p = per[r.project_id] || (per[r.project_id] = { key: r.project_id, value: 0, priced: [] });
      p.value += r.input_tokens + r.output_tokens;
      p.priced.push(r);
    });
    var top = Object.keys(per).map(function (k) { return per[k]; }).sort(function (x, y) { return y.value - x.value; }).slice(0, 10);
    replace(body('top-projects'), [
      notes(a, 'the projects report is not split that way.'),
      h('p', { class: 'note', text: 'Top 10 by tokens, last ' + vars().days + ' days.' + (STATIC ? '' : ' Click a project to narrow every panel.') }),
      hbars(top, 'project_id', function (i) { return fmtInt(i.value) + ' tok \u00b7 ' + fmtUSD(costOf(i.priced, 'cost_usd')); }),
      table('projects', 'Projects and actions, last ' + vars().days + ' days', columnsOf(a, ['project_id', 'action_type', 'requests', 'users', 'input_tokens', 'output_tokens', 'cost_usd', 'unpriced_requests']), a.rows, {
        cell: function (c, r) { return c.name === 'project_id' ? filterButton('project_id', r.project_id, r.project_id || '(none)') : null; }
      })
    ]);
  }

  function renderCost() {
    if (missing('cost', 'cost')) return;
    var a = answer('cost');
    replace(body('cost'), [notes(a, 'the cost report is not split that way.'),
      h('p', { class: 'note', text: 'Priced on the day of use from the price table; unpriced models are listed apart, never as free.' + (STATIC ? '' : ' Click a model to narrow every panel.') }),
      table('cost', 'Cost, month to date, by provider and model', columnsOf(a), a.rows, {
        rowClass: function (r) { return r.status === 'unpriced' ? 'unpriced' : ''; },
        cell: function (c, r) { return c.name === 'model' ? filterButton('model', r.model, r.model) : null; }
      })]);
  }

  // renderExtra gives each optional report the server offers (budgets, anomalies) a
  // panel of its own with its table.
  function renderExtra() {
    var extra = $('extra');
    extra.textContent = '';
    plan.requests.filter(function (r) { return r.optional; }).forEach(function (req) {
      var a = answer(req.id);
      if (!a) return;
      var rep = reportOf(req.report);
      var sec = h('section', { id: 'report-' + req.id, class: 'panel wide', 'aria-labelledby': 'report-' + req.id + '-h' }, [
        h('h2', { id: 'report-' + req.id + '-h', text: rep.title || req.report }), h('div', { class: 'body' })]);
      extra.appendChild(sec);
      if (a.error) { replace(sec.querySelector('.body'), h('p', { class: 'panel-error', text: a.error.message })); return; }
      replace(sec.querySelector('.body'), [notes(a, 'the ' + req.report + ' report is not split that way.'), table(req.id, rep.title || req.report, columnsOf(a), a.rows)]);
    });
  }

  // ---------- every report
  function renderExplorer() {
    if (STATIC || !state.list || $('explorer').dataset.ready) return;
    $('explorer').dataset.ready = '1';
    var select = h('select', { id: 'explorer-report', name: 'report' }, state.list.map(function (r) {
      return h('option', { value: r.name, text: r.name });
    }));
    var fields = h('div', { class: 'explorer-form' });
    var out = h('div', { 'aria-live': 'polite' });
    var question = h('p', { class: 'note' });
    function inputs() {
      var rep = reportOf(select.value);
      question.textContent = rep.title + ' ' + (rep.question || '');
      replace(fields, [h('label', {}, ['Report', select])].concat((rep.params || []).map(function (p) {
        var id = 'param-' + p.name;
        var type = p.type === 'DATE' ? 'date' : p.type === 'INTEGER' || p.type === 'DOUBLE' ? 'number' : 'text';
        return h('label', { for: id }, [p.name, h('input', {
          id: id, name: p.name, type: type, 'aria-describedby': id + '-doc', step: p.type === 'DOUBLE' ? 'any' : null,
          min: p.range ? p.range.min : null, max: p.range ? p.range.max : null, value: state.filters[p.name] || null
        }), h('span', { id: id + '-doc', class: 'hint', text: p.type + ': ' + p.doc })]);
      }), [h('button', { type: 'submit', text: 'Run' })]));
    }
    select.addEventListener('change', inputs);
    var form = h('form', {
      'aria-label': 'Run any report', onsubmit: async function (ev) {
        ev.preventDefault();
        var rep = reportOf(select.value);
        var params = {};
        (rep.params || []).forEach(function (p) { var val = form.elements[p.name].value.trim(); if (val) params[p.name] = val; });
        replace(out, h('p', { class: 'note', text: 'Running ' + rep.name + '\u2026' }));
        try {
          var res = await getJSON(callPath({ report: rep.name, params: params }));
          replace(out, table('explorer', rep.title, columnsOf({ result: res, call: { report: rep.name } }), Q.objects(res)));
        } catch (e) {
          replace(out, h('p', { class: 'panel-error', role: 'alert', text: e.message }));
        }
      }
    }, [question, fields]);
    inputs();
    replace(body('explorer'), [form, out]);
  }

  // ---------- filters and controls
  function renderFilters() {
    var box = $('filters');
    var active = Object.keys(state.filters);
    replace(box, active.map(function (f) {
      return h('span', { class: 'chip', 'data-filter': f }, [FILTER_LABELS[f] + ': ' + state.filters[f],
        h('button', { type: 'button', 'aria-label': 'Remove the filter ' + FILTER_LABELS[f] + ' ' + state.filters[f], text: '\u2715', onclick: function () { setFilter(f, ''); } })]);
    }).concat(active.length > 1 ? [h('button', { type: 'button', text: 'Show everything', onclick: function () { state.filters = {}; writeHash(); renderFilters(); refresh(); } })] : []));
  }

  function setupControls() {
    var range = $('range');
    var ranges = STATIC ? [STATIC.days] : plan.ranges;
    replace(range, ranges.map(function (d) { return h('option', { value: d, text: 'last ' + d + ' days' }); }));
    range.value = String(STATIC ? STATIC.days : state.days);
    range.disabled = !!STATIC;
    range.addEventListener('change', function () { state.days = Number(range.value); writeHash(); refresh(); });
    var group = $('group');
    group.value = state.group;
    group.addEventListener('change', function () { state.group = group.value; if (!STATIC) writeHash(); renderCharts(); });
    $('refresh').addEventListener('click', function () { refresh(); });
    $('controls').addEventListener('submit', function (ev) { ev.preventDefault(); });
    $('token-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      try { sessionStorage.setItem(TOKEN_KEY, $('token').value); } catch (e) { /* kept for this page only */ }
      $('token-form').hidden = true;
      state.list = null;
      refresh();
    });
    window.addEventListener('hashchange', function () { readHash(); setupValues(); renderFilters(); refresh(); });
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden && state.updated && Date.now() - state.updated > plan.refresh_seconds * 1000) refresh();
    });
  }
  function setupValues() { $('range').value = String(state.days); $('group').value = state.group; }

  function renderAll() {
    renderQuota(); renderToday(); renderMonth(); renderCharts(); renderTopUsers(); renderTopProjects(); renderCost(); renderExtra(); renderExplorer();
    document.body.classList.toggle('stale', !!state.stale);
    document.body.dataset.loaded = 'true';
    document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
    document.body.dataset.filters = JSON.stringify(state.filters);
  }

  // ---------- refresh
  var timer = 0, running = null, again = false;
  async function refresh() {
    if (STATIC) return;
    if (running) { again = true; return running; }
    clearTimeout(timer);
    running = (async function () {
      try {
        if (!state.list) state.list = await getJSON('/reports');
        state.calls = resolve(state.list, vars(), state.filters);
        state.answers = await runAll(state.calls);
        var auth = null, busy = null;
        Object.keys(state.answers).forEach(function (id) {
          var e = state.answers[id].error;
          if (e instanceof AuthError) auth = e;
          if (e instanceof BusyError) busy = e;
        });
        if (auth) throw auth;
        state.updated = new Date();
        state.stale = busy ? 'the collector stayed busy; some panels are older' : false;
        renderAll();
        showUpdated();
      } catch (e) {
        if (e instanceof AuthError) {
          $('token-form').hidden = false;
          setStatus('error', 'The report endpoint wants its bearer token: ' + e.message);
          $('token').focus();
          return;
        }
        state.stale = e instanceof BusyError ? 'the collector is busy' : 'cannot reach the collector (' + e.message + ')';
        if (state.updated) { renderAll(); showUpdated(); } else setStatus('error', 'Cannot load the reports: ' + e.message);
      } finally {
        running = null;
        timer = setTimeout(refresh, plan.refresh_seconds * 1000);
        if (again) { again = false; refresh(); }
      }
    })();
    return running;
  }

  // Countdowns and "updated ... ago" move on between refreshes.
  setInterval(function () {
    document.querySelectorAll('[data-reset]').forEach(function (e) { e.textContent = 'resets ' + relative(e.dataset.reset); });
    document.querySelectorAll('[data-exhausts]').forEach(function (e) { e.textContent = ' \u00b7 runs out ' + relative(e.dataset.exhausts); });
    showUpdated();
  }, 1000);

  // ---------- start
  if (STATIC) {
    state.list = STATIC.reports;
    state.days = STATIC.days;
    state.answers = {};
    (STATIC.calls || []).forEach(function (c) { if (STATIC.results[c.id]) state.answers[c.id] = { call: c, result: STATIC.results[c.id] }; });
    readHashForGroup();
    setupControls();
    setStatus('ok', 'Generated ' + fmtTime(STATIC.generated) + ' for ' + fromDay(vars()) + ' to ' + STATIC.to);
    renderAll();
  } else {
    readHash();
    setupControls();
    renderFilters();
    setStatus('ok', 'Loading\u2026');
    refresh();
  }
  function readHashForGroup() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ''));
    state.group = p.get('group') === 'model' ? 'model' : 'provider';
  }

  // For tests and scripts: the calls of the last refresh.
  window.AIUsageConsole = { calls: function () { return state.calls.map(function (c) { return { id: c.id, report: c.report, params: c.params, path: callPath(c) }; }); }, refresh: refresh };
})();
