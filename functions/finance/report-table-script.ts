/**
 * Part of the page's script: search, filter and sort for the accounts table. The page holds
 * every row (so it reads without JavaScript); this keeps them in an array and shows one page
 * of the matching rows at a time, so a keystroke with 10,000 accounts walks 10,000 entries of
 * plain data and moves at most PAGE rows, never lays out 10,000 rows. The column orders come
 * precomputed (amounts compared exactly); descending is the same order walked backwards.
 */
export const TABLE_SCRIPT = `
function tableView(table) {
  var PAGE = 100;
  var body = document.querySelector('#accounts-table tbody');
  var controls = document.getElementById('table-controls');
  if (!body || !controls) return;
  var rows = Array.prototype.slice.call(body.rows);
  var count = rows.length;
  var identity = new Array(count);
  for (var n = 0; n < count; n++) identity[n] = n;
  var state = { query: '', level: '', currency: '', sort: 'rank', descending: false, page: 0 };
  var search = document.getElementById('table-search');
  var level = document.getElementById('table-level');
  var currency = document.getElementById('table-currency');
  var status = document.getElementById('table-status');
  var prev = document.getElementById('table-prev');
  var next = document.getElementById('table-next');
  var headers = Array.prototype.slice.call(document.querySelectorAll('#accounts-table th[data-sort]'));
  function format(number) { return number.toLocaleString('en-US'); }
  function matching() {
    var order = state.sort === 'rank' ? identity : table.orders[state.sort];
    var query = state.query, wanted = state.level, money = state.currency;
    var found = [];
    for (var k = 0; k < count; k++) {
      var i = order[state.descending ? count - 1 - k : k];
      if (wanted && table.level[i] !== wanted) continue;
      if (money && table.currency[i] !== money) continue;
      if (query && table.search[i].indexOf(query) === -1) continue;
      found.push(i);
    }
    return found;
  }
  function render() {
    var found = matching();
    var pages = Math.max(1, Math.ceil(found.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    var first = state.page * PAGE, last = Math.min(found.length, first + PAGE);
    var fragment = document.createDocumentFragment();
    for (var k = first; k < last; k++) fragment.appendChild(rows[found[k]]);
    body.textContent = '';
    body.appendChild(fragment);
    status.textContent = found.length === 0
      ? 'No account matches (' + format(count) + ' in all)'
      : 'Rows ' + format(first + 1) + '\\u2013' + format(last) + ' of ' + format(found.length) +
        (found.length < count ? ' matching (' + format(count) + ' in all)' : '');
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
    headers.forEach(function (th) {
      var sorted = th.getAttribute('data-sort') === state.sort;
      th.setAttribute('aria-sort', sorted ? (state.descending ? 'descending' : 'ascending') : 'none');
    });
    document.body.setAttribute('data-table-matches', String(found.length));
  }
  headers.forEach(function (th) {
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = th.textContent;
    th.textContent = '';
    th.appendChild(button);
    button.addEventListener('click', function () {
      var key = th.getAttribute('data-sort');
      state.descending = state.sort === key ? !state.descending : false;
      state.sort = key;
      state.page = 0;
      render();
    });
  });
  search.addEventListener('input', function () {
    state.query = search.value.trim().toLowerCase();
    state.page = 0;
    render();
  });
  level.addEventListener('change', function () { state.level = level.value; state.page = 0; render(); });
  currency.addEventListener('change', function () { state.currency = currency.value; state.page = 0; render(); });
  prev.addEventListener('click', function () { state.page -= 1; render(); });
  next.addEventListener('click', function () { state.page += 1; render(); });
  controls.hidden = false;
  render();
}
`;
