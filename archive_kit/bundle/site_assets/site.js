/* archive-kit inspector site: full-text search in the browser, with no server and no network.
   The index is window.ARCHIVE_KIT_SEARCH, set by search-data.js (a script, not fetched JSON: browsers
   refuse fetch() of file:// URLs). Matching follows `archive-kit search`: whitespace separates terms,
   all must match, "..." quotes a phrase, and a term matches where its folded characters occur in the
   folded title, file name or text (NFKC, traditional to simplified, lower case, no whitespace between
   Chinese characters). Results are built with textContent only: nothing from a document becomes HTML. */
(function () {
  "use strict";
  var data = window.ARCHIVE_KIT_SEARCH;
  var form = document.getElementById("search");
  if (!data || !form) { return; }
  var CJK = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u3000-\\u303f\\uff00-\\uffef\\u{20000}-\\u{2fa1f}";
  var JOIN = new RegExp("(?<=[" + CJK + "])\\s+(?=[" + CJK + "])", "gu");
  var TOKEN = /"([^"]*)"?|(\S+)/g;
  var MAX_HITS = 100;

  function fold(text) {
    var out = "";
    var s = text.normalize("NFKC");
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i);
      out += Object.prototype.hasOwnProperty.call(data.fold, c) ? data.fold[c] : c.toLowerCase();
    }
    return out.replace(JOIN, "").replace(/\s+/g, " ").trim();
  }

  function terms(query) {
    var found = [], m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(query)) !== null) {
      var t = fold(m[1] !== undefined ? m[1] : m[2]);
      if (t) { found.push(t); }
    }
    return found;
  }

  function snippet(text, term) {
    var at = text.indexOf(term);
    var start = Math.max(0, at - 30), end = Math.min(text.length, at + term.length + 50);
    var span = document.createElement("span");
    span.className = "snippet";
    span.appendChild(document.createTextNode((start > 0 ? "…" : "") + text.slice(start, at).replace(/\u0000/g, " ")));
    var mark = document.createElement("mark");
    mark.textContent = text.slice(at, at + term.length);
    span.appendChild(mark);
    span.appendChild(document.createTextNode(text.slice(at + term.length, end).replace(/\u0000/g, " ") + (end < text.length ? "…" : "")));
    return span;
  }

  function search(event) {
    if (event) { event.preventDefault(); }
    var list = document.getElementById("hits"), status = document.getElementById("status");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var want = terms(document.getElementById("q").value);
    if (!want.length) { status.textContent = ""; return; }
    var hits = data.items.filter(function (item) {
      return want.every(function (t) { return item.text.indexOf(t) >= 0; });
    });
    status.textContent = "共 " + hits.length + " 件" + (hits.length > MAX_HITS ? "（显示前 " + MAX_HITS + " 件）" : "");
    hits.slice(0, MAX_HITS).forEach(function (item) {
      var li = document.createElement("li"), a = document.createElement("a"), code = document.createElement("span");
      code.className = "code";
      code.textContent = item.code;
      a.href = item.href;
      a.className = "hit";
      a.textContent = item.title;
      li.appendChild(code);
      li.appendChild(a);
      li.appendChild(snippet(item.text, want[0]));
      list.appendChild(li);
    });
  }

  form.addEventListener("submit", search);
  document.getElementById("q").addEventListener("input", search);
})();
