/**
 * The release board page: a static shell, one script and one style sheet, all served by promobot (no CDN, no build
 * step). The script builds every node with `textContent` and attributes, never `innerHTML`, so an app name, a
 * login or a hold reason is always shown as text.
 */

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function boardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>promobot release board</title>
<link rel="stylesheet" href="/assets/uplot.css">
<link rel="stylesheet" href="/board.css">
<script src="/assets/uplot.js" defer></script>
<script src="/board.js" defer></script>
</head>
<body>
<header>
  <h1><a href="#">promobot release board</a></h1>
  <p id="live" role="status" aria-live="polite">connecting…</p>
</header>
<main>
  <form id="filters" role="search" aria-label="Filter the board">
    <label for="search">Search</label>
    <input id="search" type="search" placeholder="app, tag, person…" autocomplete="off">
    <label for="policy">Policy</label>
    <select id="policy"><option value="">all</option></select>
    <label for="env">Environment</label>
    <select id="env"><option value="">all</option></select>
  </form>
  <section id="view" aria-label="Board"></section>
</main>
</body>
</html>
`;
}

export function loginPage(message: string | null): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>promobot release board: sign in</title>
<link rel="stylesheet" href="/board.css">
</head>
<body>
<main class="login">
  <h1>promobot release board</h1>
  <p>The board needs a token (<code>PROMOBOT_UI_TOKEN</code>), or a reverse proxy that signs people in.</p>
  ${message === null ? '' : `<p class="error" role="alert">${escapeHtml(message)}</p>`}
  <form method="post" action="/login">
    <label for="token">Token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required>
    <button type="submit">Open the board</button>
  </form>
</main>
</body>
</html>
`;
}

export const BOARD_CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #4d5560; --line: #d0d7de; --bg: #ffffff; --head: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: .5rem; padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--head); }
h1 { font-size: 1.2rem; margin: 0; }
h1 a { color: inherit; text-decoration: none; }
h2 { font-size: 1.1rem; margin: 1rem 0 .5rem; }
#live { margin: 0; color: var(--muted); font-size: .9rem; }
main { padding: 1rem; }
form#filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin-bottom: 1rem; }
input, select, button { font: inherit; padding: .3rem .5rem; border: 1px solid #6e7781; border-radius: 4px; color: var(--fg); background: #fff; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--head); }
.tag { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9rem; }
.age { color: var(--muted); font-size: .85rem; }
.none { color: var(--muted); }
.promotion { margin-top: .4rem; padding: .35rem .5rem; border-radius: 4px; border-left: 4px solid; font-size: .9rem; }
.promotion a { color: inherit; }
.status-ready { background: #dafbe1; border-color: #1a7f37; color: #0f4a21; }
.status-gating { background: #ddf4ff; border-color: #0969da; color: #0a3069; }
.status-soaking { background: #fbefff; border-color: #8250df; color: #3e1f79; }
.status-awaiting-approval { background: #fff8c5; border-color: #9a6700; color: #4d2d00; }
.status-held { background: #ffebe9; border-color: #cf222e; color: #82071e; }
.status-gates-failed { background: #ffebe9; border-color: #a40e26; color: #67060c; }
.status-blocked { background: #eaeef2; border-color: #57606a; color: #24292f; }
.status-waiting-rollout { background: #ddf4ff; border-color: #57606a; color: #0a3069; }
.status-frozen { background: #eaeef2; border-color: #0550ae; color: #0a3069; }
.verify { font-size: .8rem; }
.verify-verified { color: #116329; }
.verify-waiting { color: #4d2d00; }
.verify-failed { color: #82071e; font-weight: 600; }
.journeys li { margin: .4rem 0; }
.journeys .step { white-space: nowrap; }
.journeys .step-pending { font-style: italic; }
.journeys .rolled-back { color: #82071e; }
.word { font-weight: 600; text-transform: uppercase; font-size: .75rem; letter-spacing: .03em; margin-right: .3rem; }
.history li { margin: .2rem 0; }
figure.chart { margin: .75rem 0; max-width: 100%; overflow-x: auto; }
figure.chart figcaption { font-weight: 600; margin-bottom: .25rem; }
figure.chart table { width: auto; font-size: .85rem; margin-top: .25rem; }
figure.chart summary { cursor: pointer; color: var(--muted); }
.login { max-width: 28rem; margin: 3rem auto; }
.login form { display: grid; gap: .5rem; }
.error { color: #82071e; }
@media (max-width: 640px) {
  thead { display: none; }
  table, tbody, tr, td, th { display: block; width: 100%; }
  tr { margin-bottom: 1rem; border: 1px solid var(--line); }
  td, th { border: none; border-top: 1px solid var(--line); }
  td::before { content: attr(data-env); display: block; font-weight: 600; color: var(--muted); font-size: .8rem; }
}
`;

/** The page's script; plain DOM, no dependency. Kept free of backticks so it can live in this module. */
export const BOARD_SCRIPT = String.raw`
'use strict';
(function () {
  var state = { data: null, app: null };
  var view = document.getElementById('view');
  var search = document.getElementById('search');
  var policySelect = document.getElementById('policy');
  var envSelect = document.getElementById('env');
  var live = document.getElementById('live');

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'className') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  function safeUrl(url) { return /^https?:\/\//i.test(url) ? url : null; }
  function ago(ms) {
    if (ms === null) return 'since unknown';
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 90) return s + ' s ago';
    if (s < 5400) return Math.round(s / 60) + ' min ago';
    if (s < 129600) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }
  function shortTag(tag) { return tag.length > 14 ? tag.slice(0, 12) + '…' : tag; }
  var WORDS = { ready: 'ready', gating: 'gating', soaking: 'soaking', 'awaiting-approval': 'awaiting approval',
    held: 'held', 'gates-failed': 'gates failed', blocked: 'blocked', 'waiting-rollout': 'waiting for rollout', frozen: 'frozen' };
  var VERIFY = { verified: '✓ verified running', waiting: 'rollout not verified yet', failed: '✗ rollout failed' };
  function when(ms) { return ms === null || ms === undefined ? 'time unknown' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC'; }
  // Whether the environment's tag is verified running: only a record of that very tag says so.
  function verifyNode(cell) {
    var v = cell.verification;
    if (!v || cell.tag === null) return null;
    var stateOf = v.tag === cell.tag ? v.state : 'waiting';
    return el('div', { className: 'verify verify-' + stateOf, 'data-verify': stateOf, title: v.reason,
      text: VERIFY[stateOf] + (stateOf === 'verified' && v.verifiedAt ? ' since ' + ago(v.verifiedAt).replace(/ ago$/, '') : '') });
  }
  function journeyNode(j) {
    var parts = [el('strong', { className: 'tag', text: j.tag }), ': '];
    var steps = [];
    steps.push(el('span', { className: 'step', 'data-step': 'pushed', text: 'pushed ' + (j.pushedAt === null ? '(not recorded)' : when(j.pushedAt)) }));
    j.steps.forEach(function (s) {
      var text = s.env + (s.rollback ? ' (rollback)' : '') + ' ' + (s.state === 'pending' ? 'pending' : when(s.at));
      var extra = [];
      // A pending step's words already say its gates and approvals so far.
      if (s.state === 'pending') { if (s.words) extra.push(s.words); }
      else {
        if (s.approvedBy.length) extra.push('approved by ' + s.approvedBy.join(', '));
        if (s.gates) extra.push('gates ' + s.gates);
      }
      var node = el('span', { className: 'step step-' + s.state, 'data-step': s.env, 'data-state': s.state }, [text + (extra.length ? ' (' + extra.join('; ') + ')' : '')]);
      if (s.rolledBackAt !== null) node.appendChild(el('span', { className: 'rolled-back', text: ', rolled back ' + when(s.rolledBackAt) }));
      var link = s.prUrl && safeUrl(s.prUrl);
      if (link) { node.appendChild(document.createTextNode(' ')); node.appendChild(el('a', { href: link, rel: 'noreferrer', text: 'PR' })); }
      steps.push(node);
    });
    steps.forEach(function (n, i) { if (i > 0) parts.push(' → '); parts.push(n); });
    return el('li', { 'data-tag': j.tag }, parts);
  }

  function promotionNode(p) {
    var link = safeUrl(p.pr.url);
    var title = (p.kind === 'rollback' ? 'rollback to ' : '') + shortTag(p.tag);
    return el('div', { className: 'promotion status-' + p.status, 'data-status': p.status, 'data-env': p.env }, [
      el('span', { className: 'word', text: WORDS[p.status] || p.status }),
      link ? el('a', { href: link, rel: 'noreferrer', text: 'PR #' + p.pr.number + ' ' + title }) : el('span', { text: 'PR #' + p.pr.number + ' ' + title }),
      el('div', { className: 'words', text: p.words }),
      safeUrl(p.commitUrl || '') ? el('a', { href: p.commitUrl, rel: 'noreferrer', className: 'commit', text: 'commit ' + p.pr.headSha.slice(0, 7) }) : null
    ]);
  }

  function matches(app, needle) {
    if (!needle) return true;
    var hay = [app.app, app.policy, app.image].concat(
      app.environments.map(function (e) { return e.tag || ''; }),
      app.promotions.map(function (p) { return p.tag + ' ' + p.words; })).join(' ').toLowerCase();
    return hay.indexOf(needle) >= 0;
  }

  function fillSelect(select, values) {
    var current = select.value;
    while (select.options.length > 1) select.remove(1);
    values.forEach(function (v) { select.appendChild(el('option', { value: v, text: v })); });
    if (values.indexOf(current) >= 0) select.value = current;
  }

  function renderBoard() {
    var data = state.data;
    view.replaceChildren();
    if (!data) return;
    var needle = search.value.trim().toLowerCase();
    var envs = data.environments.filter(function (e) { return !envSelect.value || e === envSelect.value; });
    var apps = data.apps.filter(function (a) { return (!policySelect.value || a.policy === policySelect.value) && matches(a, needle); });
    if (apps.length === 0) { view.appendChild(el('p', { className: 'none', text: data.apps.length ? 'No app matches.' : 'No app on the board yet: the worker publishes each app after its next reconcile.' })); return; }
    var head = el('tr', null, [el('th', { scope: 'col', text: 'App' })].concat(envs.map(function (e) { return el('th', { scope: 'col', text: e }); })));
    var body = el('tbody');
    apps.forEach(function (a) {
      var cells = [el('th', { scope: 'row' }, [el('a', { href: '#app/' + encodeURIComponent(a.policy) + '/' + encodeURIComponent(a.app), className: 'app-link', text: a.app }),
        el('div', { className: 'age', text: a.policy })])];
      envs.forEach(function (env) {
        var cell = a.environments.find(function (e) { return e.env === env; });
        var td = el('td', { 'data-env': env, 'data-app': a.app });
        if (!cell) td.appendChild(el('span', { className: 'none', text: '—' }));
        else if (cell.tag === null) td.appendChild(el('span', { className: 'none', text: 'no tag' }));
        else { td.appendChild(el('span', { className: 'tag', title: cell.tag, text: shortTag(cell.tag) })); td.appendChild(el('div', { className: 'age', text: ago(cell.since) })); var v = verifyNode(cell); if (v) td.appendChild(v); }
        a.promotions.filter(function (p) { return p.env === env; }).forEach(function (p) { td.appendChild(promotionNode(p)); });
        cells.push(td);
      });
      body.appendChild(el('tr', { 'data-app': a.app }, cells));
    });
    view.appendChild(el('table', { id: 'matrix' }, [el('caption', { className: 'age', text: apps.length + ' app(s) × ' + envs.length + ' environment(s)' }), el('thead', null, [head]), body]));
  }

  function renderApp(board) {
    view.replaceChildren();
    view.appendChild(el('p', null, [el('a', { href: '#', text: '← all apps' })]));
    view.appendChild(el('h2', { text: board.app + ' (' + board.policy + ')' }));
    view.appendChild(el('p', { className: 'tag', text: board.image }));
    var list = el('ul');
    board.environments.forEach(function (e) { list.appendChild(el('li', null, [el('strong', { text: e.env + ': ' }), el('span', { className: 'tag', text: e.tag || 'no tag' }), ' ', el('span', { className: 'age', text: ago(e.since) }), verifyNode(e)])); });
    view.appendChild(list);
    view.appendChild(el('h2', { text: 'Journey of each candidate' }));
    var journeys = el('ol', { className: 'journeys' });
    (board.journeys || []).forEach(function (j) { journeys.appendChild(journeyNode(j)); });
    if (!board.journeys || board.journeys.length === 0) view.appendChild(el('p', { className: 'none', text: 'No candidate seen yet.' }));
    else view.appendChild(journeys);
    view.appendChild(el('h2', { text: 'Open promotions' }));
    if (board.promotions.length === 0) view.appendChild(el('p', { className: 'none', text: 'None.' }));
    board.promotions.forEach(function (p) {
      var node = promotionNode(p);
      if (p.gates) node.appendChild(el('div', { className: 'gates', text: 'gates: round ' + p.gates.round + ', ' + p.gates.consecutivePasses + ' of ' + p.gates.passesNeeded + ' passes, ' + p.gates.failures + ' of ' + p.gates.failureLimit + ' failures allowed' + (p.gates.lastReason ? '; last: ' + p.gates.lastReason : '') }));
      view.appendChild(node);
      p.gateNames.forEach(function (gate) { var chart = gateChart(p, gate); if (chart) view.appendChild(chart); });
    });
    view.appendChild(el('h2', { text: 'History' }));
    var hist = el('ol', { className: 'history' });
    board.history.forEach(function (h) {
      var who = Object.keys(h.trailers).filter(function (k) { return /Approved-By|Requested-By/i.test(k); }).map(function (k) { return k.replace(/^Promobot-/, '') + ' ' + h.trailers[k]; }).join(', ');
      hist.appendChild(el('li', null, [el('strong', { text: h.env }), ' ', el('span', { className: 'tag', text: h.tag }), ' ', el('span', { className: 'age', text: ago(h.since) + (h.endedBy ? ' (replaced)' : ' (running)') }), who ? ' ' + who : '', h.subject ? el('div', { className: 'age', text: h.subject }) : null]));
    });
    view.appendChild(hist);
  }

  // One chart per gate: the measured value of each series per round, the baseline for relative gates, and the
  // threshold; a table below holds the same numbers as text.
  function gateChart(p, gate) {
    var rounds = p.rounds.filter(function (r) { return r.gates.some(function (g) { return g.gate === gate; }); });
    if (rounds.length === 0) return null;
    var gateOf = function (r) { return r.gates.find(function (g) { return g.gate === gate; }); };
    var names = [];
    rounds.forEach(function (r) { gateOf(r).series.forEach(function (s) { if (names.indexOf(s.name) < 0) names.push(s.name); }); });
    var thresholds = gateOf(rounds[rounds.length - 1]).thresholds;
    var limit = thresholds.max !== undefined ? thresholds.max : thresholds.min !== undefined ? thresholds.min : null;
    var hasBaseline = rounds.some(function (r) { return gateOf(r).series.some(function (s) { return s.baseline !== null; }); });
    var xs = rounds.map(function (r) { return r.round; });
    var data = [xs];
    var series = [{ label: 'round' }];
    var colours = ['#0969da', '#8250df', '#1a7f37', '#9a6700', '#bc4c00'];
    names.forEach(function (name, i) {
      data.push(rounds.map(function (r) { var s = gateOf(r).series.find(function (x) { return x.name === name; }); return s ? s.value : null; }));
      series.push({ label: 'candidate ' + name, stroke: colours[i % colours.length], width: 2, points: { show: true, size: 7 } });
      if (hasBaseline) {
        data.push(rounds.map(function (r) { var s = gateOf(r).series.find(function (x) { return x.name === name; }); return s ? s.baseline : null; }));
        series.push({ label: 'baseline ' + name, stroke: '#57606a', dash: [4, 4], width: 1 });
      }
    });
    if (limit !== null) { data.push(xs.map(function () { return limit; })); series.push({ label: thresholds.max !== undefined ? 'max' : 'min', stroke: '#cf222e', dash: [8, 4], width: 1 }); }
    var queryUrl = safeUrl(gateOf(rounds[rounds.length - 1]).queryUrl || '');
    var figure = el('figure', { className: 'chart', 'data-gate': gate }, [el('figcaption', null, [gate + ' on PR #' + p.pr.number + ' (' + rounds.length + ' round' + (rounds.length === 1 ? '' : 's') + ')',
      queryUrl ? ' ' : null, queryUrl ? el('a', { href: queryUrl, rel: 'noreferrer', className: 'query', text: 'query in Prometheus' }) : null])]);
    var plot = el('div', { className: 'plot', role: 'img', 'aria-label': gate + ': value per round against its threshold; the table below lists the numbers' });
    figure.appendChild(plot);
    var table = el('table', { className: 'rounds' }, [el('thead', null, [el('tr', null, series.map(function (s) { return el('th', { scope: 'col', text: s.label }); }))])]);
    var tbody = el('tbody');
    xs.forEach(function (x, i) { tbody.appendChild(el('tr', null, data.map(function (column) { var v = column[i]; return el('td', { text: v === null || v === undefined ? '—' : String(v) }); }))); });
    table.appendChild(tbody);
    figure.appendChild(el('details', null, [el('summary', { text: 'Values' }), table]));
    if (typeof window.uPlot === 'function') {
      var width = Math.max(260, Math.min(720, view.clientWidth - 16));
      new window.uPlot({ width: width, height: 220, scales: { x: { time: false } }, series: series, axes: [{ label: 'round', incrs: [1, 2, 5, 10, 20, 50, 100] }, {}] }, data, plot);
    }
    return figure;
  }

  function route() {
    var m = /^#app\/([^/]+)\/([^/]+)$/.exec(location.hash);
    state.app = m ? { policy: decodeURIComponent(m[1]), app: decodeURIComponent(m[2]) } : null;
    return load();
  }

  function load() {
    var url = state.app ? '/api/v1/apps/' + encodeURIComponent(state.app.policy) + '/' + encodeURIComponent(state.app.app) : '/api/v1/apps';
    return fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(function (r) {
      if (r.status === 401) { location.reload(); return null; }
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (json) {
      if (!json) return;
      if (state.app) { renderApp(json); return; }
      state.data = json;
      fillSelect(policySelect, Array.from(new Set(json.apps.map(function (a) { return a.policy; }))).sort());
      fillSelect(envSelect, json.environments);
      renderBoard();
    }).catch(function (e) { view.replaceChildren(el('p', { className: 'error', role: 'alert', text: 'Could not load the board: ' + e.message })); });
  }

  var pending = null;
  function soon() { if (pending === null) pending = setTimeout(function () { pending = null; load(); }, 100); }
  var events = new EventSource('/api/v1/events');
  events.addEventListener('open', function () { live.textContent = 'live'; soon(); });
  events.addEventListener('error', function () { live.textContent = 'reconnecting…'; });
  events.addEventListener('board', function () { soon(); });

  [search, policySelect, envSelect].forEach(function (input) { input.addEventListener('input', renderBoard); });
  document.getElementById('filters').addEventListener('submit', function (e) { e.preventDefault(); });
  window.addEventListener('hashchange', route);
  route();
})();
`;
