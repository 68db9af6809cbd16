// segkit dashboard: one page, routed by the URL's hash, talking to /api/v1/ with the key the
// user typed. Plain JavaScript, no build step; served by `segkit serve` from bytes compiled
// into the library, under a Content-Security-Policy that allows no inline script and no
// connection but to this server.
//
// The key lives in sessionStorage (gone when the tab closes) and travels only in the
// Authorization header, never in a URL. Every page builds its DOM with textContent, never
// innerHTML, so names and rules typed by users are shown, not run.
//
// Charts: the server serves ECharts and the report's charts.js (globals `echarts` and
// `SegkitCharts`, the bytes the HTML report inlines), and a view is drawn with
// SegkitCharts.draw(element, viewJson), which also writes each chart's numbers as a table
// (for screen readers and print). Without them (an older server, a script that failed to
// load) a view's JSON is shown as tables here.
'use strict';

(function () {
  const KEY_STORE = 'segkit.key';
  // Exchange rates the views need when the subscriptions are in several currencies: not a
  // secret, so kept across sessions (localStorage) and sent as the views' rates option.
  const RATES_STORE = 'segkit.rates';
  const VIEW_META = new Set(['view', 'title', 'available', 'reason', 'segment']);
  const SEGMENT_VIEWS = ['overview', 'mrr_movements', 'survival', 'cohorts'];
  const MEMBERS_PAGE = 25;
  const CHECK_DELAY_MS = 250;

  const state = {
    key: sessionStorage.getItem(KEY_STORE),
    role: null,
    keyId: null,
    loginMessage: null,
    views: undefined,      // undefined: not asked yet; null: the server has no views
    charts: [],            // echarts instances of the page shown
    page: 0,               // bumped on every navigation: late answers of old pages are dropped
    flash: null,           // what the last action did, told by the page it led to
  };

  const canWrite = () => state.role === 'write' || state.role === 'admin';
  const READ_ONLY_WHY = 'Changing a segment needs a key with the write role (segkit key create ' +
    '--role write); log out and log in with one.';

  // The message an action left for the next page (once), as a status the page opens with.
  function takeFlash() {
    const text = state.flash;
    state.flash = null;
    // '' rather than null: replaceChildren() would write null out as text.
    return text ? h('div', { id: 'flash', role: 'status' }, message('ok', text, 'Done:')) : '';
  }

  // ---- DOM ---------------------------------------------------------------------------------

  // h('a', {href: '#/x', class: 'y'}, 'text', child, ...): an element; attributes with
  // value null/false are left out, on* attributes are listeners.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const $ = (sel) => document.querySelector(sel);
  const main = () => $('#main');

  function announce(text) {
    const a = $('#announce');
    a.textContent = '';
    setTimeout(() => { a.textContent = text; }, 30);
  }

  const intFmt = new Intl.NumberFormat('en-US');
  const numFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
  function fmt(v) {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'number') return Number.isInteger(v) ? intFmt.format(v) : numFmt.format(v);
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  const pctFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
  function pct(n, of) {
    return of > 0 ? `${pctFmt.format((100 * n) / of)}%` : '—';
  }
  // Ids are names, not quantities: no thousands separators.
  const isId = (col) => /(^|_)id$/.test(col);
  function humanize(key) {
    const s = String(key).replace(/_/g, ' ');
    return s.charAt(0).toUpperCase() + s.slice(1);
  }
  function message(kind, text, label) {
    const word = label || { error: 'Error:', ok: 'OK:', info: 'Note:' }[kind];
    return h('div', { class: `msg ${kind}`, role: kind === 'error' ? 'alert' : null },
      h('strong', {}, word), text);
  }

  // ---- the API -----------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, msg, body) {
      super(msg);
      this.status = status;
      this.code = code;
      this.body = body;
    }
  }
  class LoggedOut extends Error {}

  // fetch with the key; a 401 ends the session and goes back to the log-in page.
  async function request(path, opts = {}) {
    if (!state.key) throw toLogin('Log in with an API key.');
    const headers = { Authorization: `Bearer ${state.key}`, ...(opts.headers || {}) };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method: opts.method || 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    if (res.status === 401) {
      let text = 'the server refused the key';
      try { text = (await res.json()).error.message; } catch (e) { /* keep the default */ }
      throw toLogin(`Your key was refused (${text}). Log in again.`);
    }
    return res;
  }

  async function api(path, opts) {
    const res = await request(path, opts);
    let body = null;
    try { body = await res.json(); } catch (e) { /* a non-JSON body: told below */ }
    if (!res.ok) {
      const err = body && body.error ? body.error : {};
      throw new ApiError(res.status, err.code || 'http_' + res.status,
        err.message || `the server answered ${res.status}`, body);
    }
    return body;
  }

  function toLogin(text) {
    sessionStorage.removeItem(KEY_STORE);
    state.key = null;
    state.role = null;
    state.loginMessage = text;
    const next = location.hash.startsWith('#/login') ? '' : location.hash.slice(1);
    location.hash = next ? `#/login?next=${encodeURIComponent(next)}` : '#/login';
    return new LoggedOut(text);
  }

  // The views the server offers, asked once per session: null when it serves none.
  async function views() {
    if (state.views !== undefined) return state.views;
    try {
      const list = await api('/api/v1/views');
      state.views = new Map(list.views.map((v) => [v.name, v]));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      state.views = null;
    }
    return state.views;
  }

  // ---- drawing views -----------------------------------------------------------------------

  function disposeCharts() {
    for (const c of state.charts) {
      try { c.dispose(); } catch (e) { /* already gone */ }
    }
    state.charts = [];
  }
  window.addEventListener('resize', () => {
    for (const c of state.charts) c.resize();
  });

  function chartsAvailable() {
    return typeof window.SegkitCharts === 'object' && typeof window.echarts === 'object';
  }

  // The query string of a view request: its own options and the rates, if set.
  function viewQuery(options) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(options || {})) if (v) q.set(k, v);
    const rates = localStorage.getItem(RATES_STORE);
    if (rates) q.set('rates', rates);
    const text = q.toString();
    return text ? `?${text}` : '';
  }

  let ratesForms = 0;
  // A view that needs exchange rates asks for them where it stands.
  function ratesForm() {
    const id = `rates-${++ratesForms}`;
    const input = h('input', {
      id, name: 'rates', class: 'rates-input', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'USD=1,EUR=1.08,GBP=1.27', value: localStorage.getItem(RATES_STORE) || '',
    });
    return h('form', {
      class: 'rates-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        const v = input.value.trim();
        if (v) localStorage.setItem(RATES_STORE, v);
        else localStorage.removeItem(RATES_STORE);
        state.views = undefined;
        route();
      },
    },
    h('label', { for: id }, 'Exchange rates (CURRENCY=RATE to the reporting currency, comma-separated)'),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Apply')),
    h('p', { class: 'muted' }, 'Kept in this browser and sent with each view as its rates option.'));
  }

  // A view's JSON, drawn by the report's charts.js when the server serves it (it writes the
  // view's title, its charts and each chart's numbers as a table), else as tables here.
  function drawView(container, view) {
    drawViewBody(container, view);
    if (view.available === false && /\brates\b/.test(view.reason || '')) {
      container.append(ratesForm());
    }
  }

  function drawViewBody(container, view) {
    if (chartsAvailable()) {
      const holder = h('div', { class: 'view-charts' });
      container.append(holder);
      try {
        state.charts.push(...(window.SegkitCharts.draw(holder, view) || []));
        return;
      } catch (e) {
        holder.replaceChildren(message('error', `The charts could not be drawn (${e.message}); the data follows.`));
      }
    }
    const title = view.title + (view.segment ? `: segment ${view.segment} against the rest` : '');
    container.append(h('h2', {}, title));
    if (view.available === false) {
      container.append(message('info', view.reason || 'This view has no data in this workspace.',
        'Not available:'));
      return;
    }
    container.append(renderData(view));
  }

  // Any JSON document as people read it: top-level numbers and strings as figures, lists of
  // records as tables, nested objects as sections.
  function renderData(obj) {
    const out = h('div', { class: 'view-data' });
    const figures = Object.entries(obj).filter(
      ([k, v]) => !VIEW_META.has(k) && (v === null || typeof v !== 'object'));
    if (figures.length) out.append(kpis(figures));
    for (const [k, v] of Object.entries(obj)) {
      if (VIEW_META.has(k) || v === null || typeof v !== 'object') continue;
      out.append(h('h3', {}, humanize(k)), renderValue(v, 1, humanize(k)));
    }
    return out;
  }

  function kpis(entries) {
    return h('div', { class: 'kpis' }, entries.map(([k, v]) =>
      h('div', { class: 'kpi' }, h('div', { class: 'label' }, humanize(k)),
        h('div', { class: 'value' }, fmt(v)))));
  }

  function renderValue(v, depth, caption) {
    if (Array.isArray(v)) {
      if (v.length === 0) return h('p', { class: 'muted' }, 'none');
      if (v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
        return recordTable(v, caption);
      }
      if (v.every((x) => x === null || typeof x !== 'object')) {
        return h('p', {}, v.map(fmt).join(', '));
      }
      if (v.every(Array.isArray)) return matrixTable(v, caption);
    } else if (depth < 4) {
      const box = h('div', {});
      const scalars = Object.entries(v).filter(([, x]) => x === null || typeof x !== 'object');
      if (scalars.length) {
        box.append(h('dl', { class: 'kv' }, scalars.map(([k, x]) =>
          [h('dt', {}, humanize(k)), h('dd', {}, fmt(x))])));
      }
      for (const [k, x] of Object.entries(v)) {
        if (x === null || typeof x !== 'object') continue;
        box.append(h('h4', {}, humanize(k)), renderValue(x, depth + 1, humanize(k)));
      }
      return box;
    }
    return h('pre', {}, JSON.stringify(v, null, 1).slice(0, 4000));
  }

  function recordTable(rows, caption, limit = 100) {
    const cols = [];
    for (const r of rows.slice(0, 500)) {
      for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
    }
    const numeric = cols.map((c) => rows.every((r) => r[c] === null || r[c] === undefined ||
      typeof r[c] === 'number'));
    const body = h('tbody', {});
    const fill = (n) => {
      body.replaceChildren(...rows.slice(0, n).map((r) => h('tr', {}, cols.map((c, i) =>
        h('td', { class: numeric[i] ? 'num' : null }, isId(c) && r[c] !== null ? String(r[c]) : fmt(r[c]))))));
    };
    fill(limit);
    const table = h('table', {},
      caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
      h('thead', {}, h('tr', {}, cols.map((c, i) =>
        h('th', { scope: 'col', class: numeric[i] ? 'num' : null }, humanize(c))))),
      body);
    const wrap = h('div', { class: 'table-wrap' }, table);
    if (rows.length > limit) {
      const more = h('button', {
        type: 'button', class: 'secondary',
        onclick: () => { fill(rows.length); more.remove(); },
      }, `Show all ${intFmt.format(rows.length)} rows`);
      wrap.append(h('p', { class: 'muted' }, `First ${limit} of ${intFmt.format(rows.length)} rows. `), more);
    }
    return wrap;
  }

  function matrixTable(rows, caption) {
    return h('div', { class: 'table-wrap' }, h('table', {},
      caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
      h('tbody', {}, rows.slice(0, 200).map((r) =>
        h('tr', {}, r.map((x) => h('td', { class: typeof x === 'number' ? 'num' : null }, fmt(x))))))));
  }

  // ---- pages -------------------------------------------------------------------------------

  function pageHeader(title, ...rest) {
    return [h('h1', { tabindex: '-1', id: 'page-title' }, title), ...rest];
  }

  function errorBox(e) {
    if (e instanceof LoggedOut) return null;
    if (e instanceof ApiError) return message('error', `${e.message} (HTTP ${e.status}, ${e.code})`);
    return message('error', e.message || String(e));
  }

  async function pageLogin(params) {
    const next = params.get('next') || '/overview';
    const input = h('input', {
      id: 'key', name: 'key', type: 'password', autocomplete: 'off', spellcheck: 'false',
      required: true, placeholder: 'sk_…', 'aria-describedby': 'key-help',
    });
    const status = h('div', { id: 'login-status', 'aria-live': 'polite' },
      state.loginMessage ? message('error', state.loginMessage) : null);
    state.loginMessage = null;
    const form = h('form', {
      class: 'card login',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        status.replaceChildren(h('p', { class: 'muted' }, 'Checking the key…'));
        try {
          const res = await fetch('/api/v1/whoami', {
            headers: { Authorization: `Bearer ${key}` }, cache: 'no-store',
            credentials: 'omit', referrerPolicy: 'no-referrer',
          });
          const body = await res.json();
          if (!res.ok) {
            status.replaceChildren(message('error',
              `That key was refused: ${body.error ? body.error.message : res.status}.`));
            input.focus();
            input.select();
            return;
          }
          state.key = key;
          state.role = body.role;
          state.keyId = body.key;
          state.views = undefined;
          sessionStorage.setItem(KEY_STORE, key);
          location.hash = `#${next}`;
        } catch (e) {
          status.replaceChildren(message('error', `The server could not be reached: ${e.message}`));
        }
      },
    },
    h('h1', { tabindex: '-1', id: 'page-title' }, 'Log in'),
    h('label', { for: 'key' }, 'API key'),
    input,
    h('p', { id: 'key-help', class: 'muted' },
      'A key from `segkit key create --role read|write|admin`. It is kept in this tab only ' +
      '(sessionStorage) and sent in the Authorization header.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Log in')),
    status);
    main().replaceChildren(form);
    input.focus();
  }

  async function pageOverview() {
    const body = h('div', {});
    main().replaceChildren(...pageHeader('Overview'), body);
    const [datasets, vs] = await Promise.all([api('/api/v1/datasets'), views()]);
    if (vs && vs.has('overview')) {
      const box = h('section', { class: 'card', id: 'overview-view' });
      body.append(box);
      try {
        drawView(box, await api(`/api/v1/views/overview${viewQuery()}`));
      } catch (e) {
        box.append(errorBox(e));
      }
    }
    body.append(h('section', { class: 'card', 'aria-labelledby': 'ds-h' },
      h('h2', { id: 'ds-h' }, 'Datasets'),
      datasets.datasets.length === 0
        ? h('p', {}, 'No datasets yet: import one with `segkit import FILE --as NAME`.')
        : recordTable(datasets.datasets.map((d) => ({
          dataset: d.name, rows: d.rows, columns: d.columns, key: d.key,
          imported_at: d.imported_at, quarantined: d.quarantined,
        })), 'Datasets')));
    const list = h('section', { class: 'card', 'aria-labelledby': 'vw-h' }, h('h2', { id: 'vw-h' }, 'Views'));
    if (!vs) {
      list.append(message('info', 'This server serves no views yet (GET /api/v1/views): ' +
        'the pages below show what the API has.', 'Note:'));
    } else {
      list.append(h('ul', {}, [...vs.values()].map((v) => h('li', {},
        v.available ? h('a', { href: `#/view/${encodeURIComponent(v.name)}` }, v.title || v.name)
          : h('span', {}, `${v.title || v.name}: `, h('span', { class: 'muted' },
            `not available (${v.reason || 'no data'})`))))));
    }
    body.append(list);
  }

  async function pageSegments() {
    const body = h('div', {});
    main().replaceChildren(...pageHeader('Segments'), takeFlash(),
      h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/builder' }, 'Build a segment')),
      body);
    const list = (await api('/api/v1/segments')).segments;
    if (list.length === 0) {
      body.append(h('p', {}, 'No segments yet. Build one, or add one with `segkit segment add`.'));
      return;
    }
    const counts = new Map();
    const tbody = h('tbody', {}, list.map((s) => {
      const cell = h('td', { class: 'num', 'data-segment': s.name }, h('span', { class: 'muted' }, '…'));
      counts.set(s.name, cell);
      return h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/segment/${encodeURIComponent(s.name)}` }, s.name)),
        h('td', {}, s.dataset),
        h('td', {}, h('code', {}, s.rule)),
        cell,
        h('td', {}, s.description || ''));
    }));
    body.append(h('div', { class: 'card table-wrap' }, h('table', { id: 'segments-table' },
      h('caption', {}, `${list.length} segment${list.length === 1 ? '' : 's'}; counts are evaluated now`),
      h('thead', {}, h('tr', {}, ['Segment', 'Dataset', 'Rule', 'Customers', 'Description'].map((c, i) =>
        h('th', { scope: 'col', class: i === 3 ? 'num' : null }, c)))),
      tbody)));
    // Two counts at a time: each loads its dataset, and the server has other users.
    const page = state.page;
    const queue = list.map((s) => s.name);
    const worker = async () => {
      while (queue.length && page === state.page) {
        const name = queue.shift();
        const cell = counts.get(name);
        try {
          const c = await api(`/api/v1/segments/${encodeURIComponent(name)}/count`);
          cell.replaceChildren(`${intFmt.format(c.count)} `,
            h('span', { class: 'muted' }, `of ${intFmt.format(c.of)} (${pct(c.count, c.of)})`));
        } catch (e) {
          if (e instanceof LoggedOut) return;
          cell.replaceChildren(h('span', { title: e.message }, 'not countable here'),
            h('span', { class: 'visually-hidden' }, `: ${e.message}`));
        }
      }
    };
    await Promise.all([worker(), worker()]);
  }

  // ---- the builder ------------------------------------------------------------------------

  // The UTF-16 index in `line` of the 1-based byte column `col` (the server counts bytes).
  function byteColumnToIndex(line, col) {
    let bytes = 0;
    let i = 0;
    while (i < line.length && bytes < col - 1) {
      const cp = line.codePointAt(i);
      bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      i += cp > 0xffff ? 2 : 1;
    }
    return i;
  }
  // [start, end) in text of an error at line/column/length (bytes).
  function errorRange(text, err) {
    if (!err.line) return null;
    const lines = text.split('\n');
    let start = 0;
    for (let l = 0; l < err.line - 1 && l < lines.length; l++) start += lines[l].length + 1;
    const line = lines[err.line - 1] || '';
    const from = byteColumnToIndex(line, err.column);
    const to = Math.max(from, byteColumnToIndex(line, err.column + (err.length || 0)));
    return [start + from, start + to];
  }

  // A rule error as text: "Line 2, column 18: message" (no place: the message alone).
  function ruleErrorText(e) {
    return `${e.line ? `Line ${e.line}, column ${e.column}: ` : ''}${e.message}`;
  }

  // The builder; with `edit` (a segment's definition, GET /api/v1/segments/NAME) it edits
  // that segment instead: its name fixed, its dataset, rule and description filled in, and
  // "Save changes" replaces it (PUT, which keeps its snapshots).
  async function pageBuilder(edit) {
    const dsSelect = h('select', { id: 'dataset', name: 'dataset' });
    const ta = h('textarea', {
      id: 'rule', class: 'rule', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
      rows: 4, 'aria-describedby': 'check-result rule-help', placeholder: 'country == "DE" and plan == "pro"',
    });
    const backdrop = h('div', { class: 'rule-backdrop', 'aria-hidden': 'true' });
    const result = h('div', { id: 'check-result', class: 'check-result', 'aria-live': 'polite' });
    const fields = h('div', { class: 'fields', role: 'group', 'aria-label': 'Fields of the dataset' });
    const nameInput = h('input', {
      id: 'seg-name', name: 'name', required: true, pattern: '[A-Za-z0-9_\\-]{1,64}', maxlength: 64,
      'aria-describedby': 'name-help', autocomplete: 'off',
      value: edit ? edit.name : null, readonly: !!edit,
    });
    const descInput = h('input', {
      id: 'seg-desc', name: 'description', autocomplete: 'off',
      value: edit ? edit.description || '' : null,
    });
    const saveBtn = h('button', { type: 'submit', id: 'save' }, edit ? 'Save changes' : 'Save segment');
    const saveStatus = h('div', { id: 'save-status', 'aria-live': 'polite' });
    if (!canWrite()) {
      saveBtn.disabled = true;
      saveStatus.append(message('info', `Your key has the ${state.role || 'read'} role: it can ` +
        `check rules but not ${edit ? 'change segments' : 'save them'}. Saving needs a key with ` +
        'the write role (segkit key create --role write); log out and log in with one.', 'Read-only:'));
    }
    if (edit) ta.value = edit.rule;
    const segHref = edit ? `#/segment/${encodeURIComponent(edit.name)}` : null;
    main().replaceChildren(...pageHeader(edit ? `Edit segment ${edit.name}` : 'Build a segment'),
      edit ? h('p', {}, h('a', { href: segHref, id: 'back-to-segment' }, `Back to segment ${edit.name}`),
        ' (nothing changes until you save)') : '',
      h('div', { class: 'card' },
        h('label', { for: 'dataset' }, 'Dataset'), dsSelect,
        h('label', { for: 'rule' }, 'Rule'),
        h('p', { id: 'rule-help', class: 'muted' },
          'The count and any error appear as you type. The language is in docs/rules.md ' +
          '(e.g. plan == "pro" and count(transactions where kind == "refund") >= 1).'),
        h('div', { class: 'rule-editor' }, backdrop, ta),
        fields,
        result),
      h('form', {
        class: 'card', id: 'save-form',
        onsubmit: (ev) => { ev.preventDefault(); save(); },
      },
      h('h2', {}, 'Save'),
      h('div', { class: 'row' },
        h('div', {}, h('label', { for: 'seg-name' }, 'Name'), nameInput,
          h('div', { id: 'name-help', class: 'muted' }, edit
            ? 'A segment keeps its name (to rename one, build a new one and delete this one)'
            : '1–64 letters, digits, _ or -')),
        h('div', {}, h('label', { for: 'seg-desc' }, 'Description (optional)'), descInput)),
      h('div', { class: 'actions' }, saveBtn,
        edit ? h('a', { class: 'button secondary', href: segHref, id: 'cancel-edit' }, 'Cancel') : null),
      saveStatus));

    const datasets = (await api('/api/v1/datasets')).datasets;
    for (const d of datasets) dsSelect.append(h('option', { value: d.name }, `${d.name} (${intFmt.format(d.rows)} rows)`));
    if (edit && !datasets.some((d) => d.name === edit.dataset)) {
      // Its dataset was dropped: shown as it is, so the check and the save say so.
      dsSelect.append(h('option', { value: edit.dataset }, `${edit.dataset} (missing)`));
    }
    const preferred = edit ? { name: edit.dataset }
      : datasets.find((d) => d.name === 'customers') || datasets[0];
    if (!preferred) {
      result.replaceChildren(message('info', 'There is no dataset to build a segment on: import one first.'));
      return;
    }
    dsSelect.value = preferred.name;

    let seq = 0;
    let timer = null;
    let inflight = null;
    let lastErrors = [];

    const paintBackdrop = () => {
      const text = ta.value;
      const range = lastErrors.length ? errorRange(text, lastErrors[0]) : null;
      if (!range) {
        backdrop.replaceChildren(document.createTextNode(text + '\n'));
      } else {
        const [a, b] = range;
        // A zero-length error (the rule ended too soon) marks one blank past the end.
        const marked = b > a ? text.slice(a, b) : '\u00a0';
        backdrop.replaceChildren(document.createTextNode(text.slice(0, a)),
          h('mark', {}, marked), document.createTextNode(text.slice(b > a ? b : a) + '\n'));
      }
      backdrop.scrollTop = ta.scrollTop;
    };
    const grow = () => {
      ta.style.height = 'auto';
      ta.style.height = `${ta.scrollHeight + 2}px`;
    };

    const showFields = async () => {
      fields.replaceChildren();
      try {
        const d = await api(`/api/v1/datasets/${encodeURIComponent(dsSelect.value)}`);
        fields.append(h('span', { class: 'muted' }, 'Fields: '), ...d.schema.map((c) => h('button', {
          type: 'button', title: `${c.name} (${c.type}): insert`,
          onclick: () => {
            const [a, b] = [ta.selectionStart, ta.selectionEnd];
            ta.setRangeText(c.name, a, b, 'end');
            ta.focus();
            ta.dispatchEvent(new Event('input'));
          },
        }, c.name)));
      } catch (e) {
        if (!(e instanceof LoggedOut)) fields.append(errorBox(e));
      }
    };

    // An edited segment's checks name it, so the server checks with its stored context and a
    // rule over the fields derived from its subscriptions (mrr, plan, ...: `segkit segment add
    // --subscriptions`) checks here as it counts on its page; a PUT keeps the context by itself.
    const context = edit ? { segment: edit.name } : {};

    const check = async () => {
      const rule = ta.value;
      const my = ++seq;
      if (inflight) inflight.abort();
      if (!rule.trim()) {
        lastErrors = [];
        ta.removeAttribute('aria-invalid');
        result.replaceChildren();
        paintBackdrop();
        return;
      }
      inflight = new AbortController();
      result.setAttribute('aria-busy', 'true');
      try {
        const r = await api('/api/v1/rules/check', {
          method: 'POST', body: { dataset: dsSelect.value, rule, ...context }, signal: inflight.signal,
        });
        if (my !== seq) return;
        if (r.valid) {
          lastErrors = [];
          ta.setAttribute('aria-invalid', 'false');
          result.replaceChildren(message('ok', h('span', { id: 'check-count' },
            `${intFmt.format(r.count)} of ${intFmt.format(r.of)} customers (${pct(r.count, r.of)}) match.`),
          'Valid:'));
        } else {
          lastErrors = r.errors;
          ta.setAttribute('aria-invalid', 'true');
          result.replaceChildren(...r.errors.map((e) => ruleErrorBox(rule, e)));
        }
      } catch (e) {
        if (e.name === 'AbortError' || my !== seq) return;
        lastErrors = [];
        result.replaceChildren(errorBox(e) || '');
      } finally {
        if (my === seq) result.removeAttribute('aria-busy');
      }
      paintBackdrop();
    };

    // One error in the rule, with a button that selects its place.
    function ruleErrorBox(rule, e) {
      const range = errorRange(rule, e);
      return h('div', { class: 'msg error rule-error' },
        h('strong', {}, 'Error:'), ruleErrorText(e), ' ',
        range ? h('button', {
          type: 'button', class: 'link',
          onclick: () => { ta.focus(); ta.setSelectionRange(range[0], Math.max(range[1], range[0] + 1)); },
        }, 'Select it') : null);
    }

    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(check, CHECK_DELAY_MS);
    };
    ta.addEventListener('input', () => {
      // The old mark no longer lines up with the text: clear it until the next answer.
      lastErrors = [];
      paintBackdrop();
      grow();
      schedule();
    });
    ta.addEventListener('scroll', () => { backdrop.scrollTop = ta.scrollTop; });
    dsSelect.addEventListener('change', () => { showFields(); schedule(); });

    // The version of the segment this page edits (its ETag): the PUT carries it in If-Match,
    // so a change made by someone else since is refused (412) rather than overwritten; the
    // 412 names their version, and a second click saves over it knowingly.
    let seen = edit ? edit.version : null;
    async function saveChanges() {
      const rule = ta.value;
      saveStatus.replaceChildren(h('p', { class: 'muted' }, 'Saving…'));
      try {
        // What the body leaves out (key, subscriptions, rates) the server keeps.
        const body = { rule, dataset: dsSelect.value, description: descInput.value || null };
        const r = await api(`/api/v1/segments/${encodeURIComponent(edit.name)}`,
          { method: 'PUT', body, headers: { 'If-Match': `"${seen}"` } });
        state.flash = `Saved the new rule of ${r.segment}: ${intFmt.format(r.count)} of ` +
          `${intFmt.format(r.of)} customers (${pct(r.count, r.of)}) now match.`;
        announce(`Saved ${r.segment}: ${r.count} customers`);
        location.hash = segHref;
      } catch (e) {
        if (e instanceof LoggedOut) return;
        if (e instanceof ApiError && e.status === 412) {
          await showConflict(e.body.error);
          return;
        }
        saveStatus.replaceChildren(saveError(e, rule));
      }
    }

    // Someone else's change, told before it is overwritten: when, and their rule now.
    async function showConflict(err) {
      seen = err.version;
      let now = null;
      try { now = await api(`/api/v1/segments/${encodeURIComponent(edit.name)}`); } catch (e) { /* told without it */ }
      if (now) seen = now.version;
      saveStatus.replaceChildren(message('error', h('span', { id: 'edit-conflict' },
        `The changes were not saved: segment ${edit.name} was changed by someone else at ` +
        `${now ? now.updated_at : err.updated_at}, after this page opened.`,
        now ? h('span', {}, ' Its rule is now ', h('code', {}, now.rule),
          now.description ? ` (${now.description})` : '', '.') : '',
        ' Save changes again to replace it with yours, or open ', h('a', { href: segHref }, 'the segment'),
        ' to see theirs.')));
    }

    // A failed save, in place: what the server said and what to do about it.
    function saveError(e, rule) {
      if (!(e instanceof ApiError)) {
        return message('error', `The changes were not saved: ${e.message || e}.`);
      }
      const where = e.body && e.body.error ? e.body.error : {};
      if (e.status === 400 && where.line) {
        // The rule, refused at the save: marked in the text as the live check does.
        const err = { line: where.line, column: where.column, length: where.length,
          message: e.message.replace(/^rule:\d+:\d+: /, '') };
        if (ta.value === rule) {
          seq++;   // an older live check's answer must not replace this one
          lastErrors = [err];
          ta.setAttribute('aria-invalid', 'true');
          result.replaceChildren(ruleErrorBox(rule, err));
          result.removeAttribute('aria-busy');
          paintBackdrop();
        }
        return h('div', {}, message('error', 'The changes were not saved: the server refused the rule.'),
          ruleErrorBox(rule, err));
      }
      let text = `The changes were not saved: ${e.message} (HTTP ${e.status}, ${e.code}).`;
      if (e.status === 403) {
        text += ' Changing a segment needs a key with the write role: log out and log in with one.';
      } else if (e.status === 404) {
        return message('error', h('span', {}, `${text} It may have been deleted meanwhile: `,
          h('a', { href: '#/segments' }, 'see the segments'), ', or save the rule as a new segment from ',
          h('a', { href: '#/builder' }, 'the builder'), '.'));
      }
      return message('error', text);
    }

    async function save() {
      if (edit) {
        await saveChanges();
        return;
      }
      if (!nameInput.reportValidity()) return;
      saveStatus.replaceChildren(h('p', { class: 'muted' }, 'Saving…'));
      try {
        const r = await api('/api/v1/segments', {
          method: 'POST',
          body: {
            name: nameInput.value, rule: ta.value, dataset: dsSelect.value,
            description: descInput.value || null,
          },
        });
        announce(`Saved ${r.segment}: ${r.count} customers`);
        location.hash = `#/segment/${encodeURIComponent(r.segment)}`;
      } catch (e) {
        if (e instanceof LoggedOut) return;
        let text = e.message;
        if (e.status === 403) {
          text = `${e.message}. Saving needs a key with the write role: log out and log in with one.`;
        } else if (e.status === 409) {
          text = `${e.message}: choose another name.`;
        }
        saveStatus.replaceChildren(message('error', text));
      }
    }

    paintBackdrop();
    if (edit) {
      grow();
      check();
    }
    await showFields();
  }

  // ---- one segment --------------------------------------------------------------------------

  async function pageEdit(name) {
    main().replaceChildren(...pageHeader(`Edit segment ${name}`));
    await pageBuilder(await api(`/api/v1/segments/${encodeURIComponent(name)}`));
  }

  function csvField(v) {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }

  // The members as a CSV file: the server's own export when it has one, else the pages of
  // the JSON list put together here.
  async function membersCsv(name) {
    const base = `/api/v1/segments/${encodeURIComponent(name)}/members`;
    const res = await request(`${base}?format=csv`);
    const type = res.headers.get('content-type') || '';
    if (res.ok && type.startsWith('text/csv')) return res.blob();
    const lines = [];
    for (let offset = 0; ; offset += 10000) {
      const page = await api(`${base}?limit=10000&offset=${offset}`);
      if (offset === 0) lines.push(csvField(page.key));
      for (const m of page.members) lines.push(csvField(m));
      if (page.members.length < 10000) break;
    }
    return new Blob([lines.join('\n') + '\n'], { type: 'text/csv' });
  }

  function download(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: filename, class: 'visually-hidden' }, filename);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30000);
  }

  async function pageSegment(name) {
    const figures = h('div', { class: 'kpis', id: 'segment-figures' });
    const defBox = h('div', {});
    const membersBox = h('section', { class: 'card', 'aria-labelledby': 'mem-h' }, h('h2', { id: 'mem-h' }, 'Members'));
    const viewsBox = h('div', { class: 'grid', id: 'segment-views' });
    main().replaceChildren(...pageHeader(`Segment ${name}`), takeFlash(), defBox, figures,
      h('h2', {}, 'Against the rest of the customers'), viewsBox, membersBox);
    const def = await api(`/api/v1/segments/${encodeURIComponent(name)}`);
    const edited = def.updated_at && def.updated_at !== def.created_at ? ` · changed ${def.updated_at}` : '';
    defBox.append(h('p', {}, 'Rule: ', h('code', { id: 'segment-rule' }, def.rule)),
      h('p', { class: 'muted', id: 'segment-meta' }, `Dataset ${def.dataset}`,
        def.description ? ` · ${def.description}` : '', ` · created ${def.created_at}${edited}`),
      segmentActions(def));
    const page = state.page;
    const work = [];

    work.push((async () => {
      try {
        const c = await api(`/api/v1/segments/${encodeURIComponent(name)}/count`);
        figures.append(...kpis([['customers', c.count], ['of', c.of], ['share', pct(c.count, c.of)]]).children);
        figures.dataset.count = String(c.count);
      } catch (e) {
        figures.append(errorBox(e) || '');
      }
    })());

    // Members, a page at a time.
    const tableBox = h('div', {});
    const pager = h('div', { class: 'pager' });
    const exportBtn = h('button', { type: 'button', id: 'export', class: 'secondary' }, 'Export members (CSV)');
    const exportStatus = h('span', { 'aria-live': 'polite' });
    exportBtn.addEventListener('click', async () => {
      exportBtn.disabled = true;
      exportStatus.textContent = 'Exporting…';
      try {
        download(await membersCsv(name), `${name}-members.csv`);
        exportStatus.textContent = 'Downloaded.';
      } catch (e) {
        if (!(e instanceof LoggedOut)) exportStatus.textContent = `Export failed: ${e.message}`;
      } finally {
        exportBtn.disabled = false;
      }
    });
    membersBox.append(tableBox, pager, h('div', { class: 'actions' }, exportBtn, exportStatus));
    const showPage = async (offset) => {
      try {
        const m = await api(`/api/v1/segments/${encodeURIComponent(name)}/members?limit=${MEMBERS_PAGE}&offset=${offset}`);
        if (page !== state.page) return;
        tableBox.replaceChildren(m.members.length === 0 ? h('p', { class: 'muted' }, 'No members.')
          : h('div', { class: 'table-wrap' }, h('table', { id: 'members-table' },
            h('caption', {}, `Members ${intFmt.format(offset + 1)}–${intFmt.format(offset + m.members.length)} of ${intFmt.format(m.count)}`),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, m.key))),
            h('tbody', {}, m.members.map((k) => h('tr', {}, h('td', {}, k === null ? '—' : String(k))))))));
        const prev = h('button', { type: 'button', class: 'secondary', disabled: offset === 0 }, 'Previous');
        const next = h('button', { type: 'button', class: 'secondary', id: 'members-next', disabled: offset + MEMBERS_PAGE >= m.count }, 'Next');
        prev.addEventListener('click', () => showPage(Math.max(0, offset - MEMBERS_PAGE)));
        next.addEventListener('click', () => showPage(offset + MEMBERS_PAGE));
        pager.replaceChildren(prev, next, h('span', { class: 'muted' },
          `page ${intFmt.format(Math.floor(offset / MEMBERS_PAGE) + 1)} of ${intFmt.format(Math.max(1, Math.ceil(m.count / MEMBERS_PAGE)))}`));
      } catch (e) {
        tableBox.replaceChildren(errorBox(e) || '');
      }
    };
    work.push(showPage(0));

    work.push((async () => {
      const vs = await views();
      if (!vs) {
        viewsBox.append(message('info', 'This server serves no views yet (MRR, churn, survival and ' +
          'cohorts by segment come with GET /api/v1/views).', 'Note:'));
        return;
      }
      await Promise.all(SEGMENT_VIEWS.filter((v) => vs.has(v)).map(async (v) => {
        const box = h('section', { class: 'card view-block', 'data-view': v });
        viewsBox.append(box);
        try {
          const json = await api(`/api/v1/views/${v}${viewQuery({ segment: name })}`);
          if (page === state.page) drawView(box, json);
        } catch (e) {
          box.append(errorBox(e) || '');
        }
      }));
    })());
    await Promise.all(work);
  }

  // "Edit rule" and "Delete" of a segment's page; for a key that may not use them, both
  // disabled and the reason beside them.
  function segmentActions(def) {
    const editBtn = h('button', {
      type: 'button', id: 'edit-segment', class: 'secondary',
      onclick: () => { location.hash = `#/segment/${encodeURIComponent(def.name)}/edit`; },
    }, 'Edit rule');
    // Listened to even when disabled: should the role known here be wrong, the server's 403
    // is shown in the dialog.
    const deleteBtn = h('button', {
      type: 'button', id: 'delete-segment', class: 'secondary danger',
      onclick: () => confirmDelete(def, deleteBtn),
    }, 'Delete…');
    const bar = h('div', { class: 'actions', id: 'segment-actions', role: 'group', 'aria-label': 'Segment actions' },
      editBtn, deleteBtn);
    if (canWrite()) return bar;
    for (const b of [editBtn, deleteBtn]) {
      b.disabled = true;
      b.setAttribute('aria-describedby', 'segment-readonly');
    }
    return h('div', {}, bar, h('p', { id: 'segment-readonly', class: 'msg info' }, h('strong', {}, 'Read-only:'),
      `Your key has the ${state.role || 'read'} role: it can see this segment but not edit or ` +
      `delete it. ${READ_ONLY_WHY}`));
  }

  // Delete, after an in-page confirmation (a modal <dialog>: it holds the focus, Escape
  // cancels, and the focus returns to the button that opened it). The DELETE carries the
  // version the page showed (If-Match) and no force: the server refuses (412) when someone
  // changed the segment since, and (409) when other segments use it with in_segment(),
  // naming them. Both are told in the dialog, and its button then deletes anyway, knowingly
  // (the segments that used it stop counting until edited; they are named again after).
  function confirmDelete(def, opener) {
    const name = def.name;
    const status = h('div', { id: 'delete-status', 'aria-live': 'polite' });
    const users = h('div', { id: 'delete-users', 'aria-live': 'polite' });
    const confirmBtn = h('button', { type: 'button', id: 'delete-confirm', class: 'danger' }, `Delete ${name}`);
    const cancelBtn = h('button', { type: 'button', id: 'delete-cancel', class: 'secondary' }, 'Cancel');
    const snaps = def.snapshots === 1 ? 'its snapshot' : `its ${intFmt.format(def.snapshots || 0)} snapshots`;
    const dialog = h('dialog', {
      id: 'delete-dialog', class: 'dialog', 'aria-labelledby': 'delete-title', 'aria-describedby': 'delete-what',
    },
    h('h2', { id: 'delete-title' }, `Delete segment ${name}?`),
    h('p', { id: 'delete-what' }, `This removes the segment's rule and ${snaps}, for every user of ` +
      'this workspace; it cannot be undone. The customers and their data are not touched.'),
    users, status,
    h('div', { class: 'actions' }, confirmBtn, cancelBtn));
    const page = state.page;
    let busy = false;
    let version = def.version;
    let force = false;
    const close = () => { if (!busy && dialog.open) dialog.close(); };
    const anyway = () => {
      confirmBtn.textContent = `Delete ${name} anyway`;
      confirmBtn.disabled = false;
      confirmBtn.focus();
    };
    dialog.addEventListener('cancel', (ev) => { if (busy) ev.preventDefault(); });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (page === state.page && opener.isConnected) opener.focus();
    });
    cancelBtn.addEventListener('click', close);
    confirmBtn.addEventListener('click', async () => {
      busy = true;
      confirmBtn.disabled = true;
      cancelBtn.disabled = true;
      status.replaceChildren(h('p', { class: 'muted' }, 'Deleting…'));
      try {
        const path = `/api/v1/segments/${encodeURIComponent(name)}${force ? '?force=true' : ''}`;
        const r = await api(path, { method: 'DELETE', headers: { 'If-Match': `"${version}"` } });
        busy = false;
        state.flash = `Deleted segment ${name}.` + (r.broken && r.broken.length
          ? ` ${r.broken.join(', ')} ${r.broken.length === 1 ? 'uses' : 'use'} it with in_segment() and ` +
            `will not count until ${r.broken.length === 1 ? 'its rule is' : 'their rules are'} edited.` : '');
        announce(`Deleted segment ${name}`);
        dialog.close();
        location.hash = '#/segments';
      } catch (e) {
        busy = false;
        cancelBtn.disabled = false;
        if (e instanceof LoggedOut) return;
        const err = e.body && e.body.error ? e.body.error : {};
        if (e.status === 409 && err.code === 'has_dependents') {
          const direct = err.dependents || [];
          const through = err.indirect_dependents || [];
          force = true;
          status.replaceChildren();
          users.replaceChildren(message('error', `${name} was not deleted: ` +
            `${direct.length === 1 ? 'segment' : 'segments'} ${direct.join(', ')} ` +
            `${direct.length === 1 ? 'uses' : 'use'} in_segment("${name}")` +
            (through.length ? `, and ${through.join(', ')} ${through.length === 1 ? 'uses' : 'use'} ` +
              `${direct.length === 1 ? 'it' : 'them'}` : '') +
            `. Deleted anyway, ${direct.length + through.length === 1 ? 'it' : 'they'} will fail to count ` +
            'until edited.', 'Used by other segments:'));
          anyway();
          return;
        }
        if (e.status === 412) {
          version = err.version;
          status.replaceChildren(message('error', h('span', { id: 'delete-conflict' },
            `${name} was not deleted: someone else changed it at ${err.updated_at}, after this page ` +
            'opened. Delete it anyway, or cancel and ', h('a', { href: `#/segment/${encodeURIComponent(name)}` },
              'reload the segment'), ' to see the change.')));
          anyway();
          return;
        }
        let text = `${name} was not deleted: ${e.message} (HTTP ${e.status || '?'}, ${e.code || 'error'}).`;
        if (e.status === 403) {
          text += ` ${READ_ONLY_WHY}`;
        } else if (e.status !== 404) {
          confirmBtn.disabled = false;
        }
        status.replaceChildren(message('error', e.status !== 404 ? text : h('span', {},
          `${text} Someone else may have deleted it already: `,
          h('a', { href: '#/segments' }, 'see the segments'), '.')));
        (confirmBtn.disabled ? cancelBtn : confirmBtn).focus();
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    cancelBtn.focus();
  }

  // ---- one view -------------------------------------------------------------------------------

  const VIEW_TITLES = { clusters: 'Clusters', clv: 'Customer value', survey: 'Survey segments', insights: 'Insights' };

  async function pageView(name, params) {
    const segment = params.get('segment') || '';
    const box = h('div', { class: 'card', id: 'view-body' });
    const picker = h('select', { id: 'view-segment' }, h('option', { value: '' }, 'All customers'));
    main().replaceChildren(...pageHeader(VIEW_TITLES[name] || humanize(name)),
      h('div', { class: 'row' }, h('div', {}, h('label', { for: 'view-segment' }, 'Segment against the rest'), picker)),
      box);
    const vs = await views();
    if (!vs) {
      box.append(message('info', 'This server serves no views yet (GET /api/v1/views).', 'Note:'));
      return;
    }
    const meta = vs.get(name);
    if (!meta) {
      box.append(message('error', `There is no view named '${name}'.`));
      return;
    }
    $('#page-title').textContent = meta.title || VIEW_TITLES[name] || humanize(name);
    api('/api/v1/segments').then((l) => {
      for (const s of l.segments) picker.append(h('option', { value: s.name }, s.name));
      picker.value = segment;
    }).catch(() => { /* the view still shows */ });
    picker.addEventListener('change', () => {
      location.hash = `#/view/${encodeURIComponent(name)}${picker.value ? `?segment=${encodeURIComponent(picker.value)}` : ''}`;
    });
    drawView(box, await api(`/api/v1/views/${encodeURIComponent(name)}${viewQuery({ segment })}`));
  }

  // ---- routing ------------------------------------------------------------------------------

  function parseHash() {
    const raw = location.hash.replace(/^#/, '') || '/overview';
    const [path, query] = raw.split('?');
    return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query || '') };
  }

  async function whoami() {
    if (state.role || !state.key) return;
    const me = await api('/api/v1/whoami');
    state.role = me.role;
    state.keyId = me.key;
  }

  function markNav(parts) {
    const current = parts.join('/');
    for (const a of document.querySelectorAll('#nav a[data-page]')) {
      const p = a.getAttribute('data-page');
      if (p === current || (p === 'segments' && parts[0] === 'segment')) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  let firstRoute = true;
  async function route() {
    state.page++;
    disposeCharts();
    // A dialog left open by the page before (the Back button) goes with it.
    for (const d of document.querySelectorAll('dialog[open]')) d.close();
    const { parts, params } = parseHash();
    const nav = $('#nav');
    nav.classList.add('collapsed');
    $('#menu-toggle').setAttribute('aria-expanded', 'false');
    if (parts[0] !== 'login' && !state.key) {
      location.hash = `#/login?next=${encodeURIComponent('/' + parts.join('/'))}`;
      return;
    }
    nav.hidden = parts[0] === 'login';
    $('#menu-toggle').hidden = parts[0] === 'login';
    markNav(parts);
    const page = state.page;
    try {
      if (parts[0] === 'login') {
        await pageLogin(params);
      } else {
        await whoami();
        $('#who').textContent = `key ${state.keyId} · ${state.role}`;
        if (parts[0] === 'overview') await pageOverview();
        else if (parts[0] === 'segments') await pageSegments();
        else if (parts[0] === 'builder') await pageBuilder();
        else if (parts[0] === 'segment' && parts[1] && parts[2] === 'edit') await pageEdit(parts[1]);
        else if (parts[0] === 'segment' && parts[1] && !parts[2]) await pageSegment(parts[1]);
        else if (parts[0] === 'view' && parts[1]) await pageView(parts[1], params);
        else main().replaceChildren(...pageHeader('Not found'), h('p', {}, 'There is no such page. ',
          h('a', { href: '#/overview' }, 'Go to the overview.')));
      }
    } catch (e) {
      if (page === state.page) {
        const box = errorBox(e);
        if (box) main().append(box);
      }
    }
    if (page === state.page) {
      document.body.dataset.page = parts[0] === 'segment' && parts[2] === 'edit' ? 'segment-edit'
        : parts[0] || 'overview';
      document.body.dataset.ready = String(page);
      const title = $('#page-title');
      document.title = title ? `${title.textContent} · segkit` : 'segkit';
      if (!firstRoute && title && parts[0] !== 'login' && parts[0] !== 'builder') title.focus();
      firstRoute = false;
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('#skip').addEventListener('click', (ev) => { ev.preventDefault(); main().focus(); });
    $('#logout').addEventListener('click', () => {
      sessionStorage.removeItem(KEY_STORE);
      state.key = null;
      state.role = null;
      state.views = undefined;
      state.loginMessage = null;
      location.hash = '#/login';
    });
    $('#menu-toggle').addEventListener('click', () => {
      const nav = $('#nav');
      const open = nav.classList.toggle('collapsed') === false;
      $('#menu-toggle').setAttribute('aria-expanded', String(open));
    });
    window.addEventListener('hashchange', route);
    route();
  });
}());
